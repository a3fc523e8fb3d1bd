using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Runtime.Schemas;
using Xunit;

namespace TcWorker.Testing;

/// <summary>
/// The conformance kit for engines: subclass it in an xunit test project, supply the provider and
/// payloads that make the engine behave a given way, and every case runs against a fresh engine in a
/// fresh <see cref="EngineTestEnvironment"/>. Cases for features the engine's
/// <see cref="EngineCapabilities"/> do not declare are skipped with the reason; a declared feature
/// without the payloads its cases need fails, naming the member to override.
/// </summary>
/// <remarks>
/// Modelled on taskcluster-worker's <c>engines/enginetest</c>. Each case is a
/// <see cref="SkippableFactAttribute"/>; xunit runs them on the concrete subclass.
/// </remarks>
public abstract class EngineConformanceTests : IAsyncLifetime
{
    private readonly List<TestTaskContext> tasks = [];
    private EngineTestEnvironment? environment;
    private IEngine? engine;

    /// <summary>The engine under test; skips the case when <see cref="SkipReason"/> is set.</summary>
    protected IEngine Engine
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            return engine ?? throw new InvalidOperationException("The engine is created in InitializeAsync.");
        }
    }

    /// <summary>The environment the engine was created in.</summary>
    protected EngineTestEnvironment TestEnvironment => environment ?? throw new InvalidOperationException("The environment is created in InitializeAsync.");

    /// <summary>When not <see langword="null"/>, every case is skipped with this reason (say, the engine runs only on Linux).</summary>
    protected virtual string? SkipReason => null;

    /// <summary>How long any one step (start, wait for a result, a log line) may take.</summary>
    protected virtual TimeSpan Timeout => TimeSpan.FromSeconds(60);

    /// <summary>The engine config passed to the provider; an empty object by default.</summary>
    protected virtual JObject EngineConfig => [];

    /// <summary>Text the sleep payload logs once it runs; kill and abort wait for it when it is not <see langword="null"/>.</summary>
    protected virtual string? SleepStartedText => null;

    /// <summary>Names the engine must refuse with <see cref="MalformedPayloadException"/>.</summary>
    protected virtual IReadOnlyList<string> InvalidEnvironmentVariableNames => ["1STARTS_WITH_A_DIGIT", "HAS=EQUALS"];

    /// <summary>The variable the environment variable cases set.</summary>
    protected virtual string EnvironmentVariableName => "TCW_KIT_VARIABLE";

    /// <summary>The proxy name the proxy cases attach.</summary>
    protected virtual string ProxyName => "kitproxy";

    /// <summary>The artifact case, required when the engine declares <see cref="EngineFeatures.Artifacts"/>.</summary>
    protected virtual ArtifactsCase? Artifacts => null;

    /// <summary>The volume case, required when the engine declares <see cref="EngineFeatures.Volumes"/>.</summary>
    protected virtual VolumesCase? Volumes => null;

    /// <summary>The shell case, required when the engine declares <see cref="EngineFeatures.Shells"/>.</summary>
    protected virtual ShellsCase? Shells => null;

    /// <summary>Creates the provider of the engine under test.</summary>
    /// <returns>A new provider.</returns>
    protected abstract IEngineProvider CreateProvider();

    /// <summary>A payload that writes <paramref name="text"/> to the task log and succeeds.</summary>
    /// <param name="text">Letters, digits and dashes.</param>
    /// <returns>The payload.</returns>
    protected abstract JObject LogPayload(string text);

    /// <summary>A payload that writes <paramref name="text"/> to the task log and fails (an unsuccessful result).</summary>
    /// <param name="text">Letters, digits and dashes.</param>
    /// <returns>The payload.</returns>
    protected abstract JObject FailingLogPayload(string text);

    /// <summary>A payload that succeeds and writes nothing a test could look for.</summary>
    /// <returns>The payload.</returns>
    protected abstract JObject SilentPayload();

    /// <summary>A payload that runs for minutes unless killed or aborted.</summary>
    /// <returns>The payload.</returns>
    protected abstract JObject SleepPayload();

    /// <summary>A payload that writes the value of the variable <paramref name="name"/> to the log; required with <see cref="EngineFeatures.EnvironmentVariables"/>.</summary>
    /// <param name="name">The variable's name.</param>
    /// <returns>The payload, or <see langword="null"/> when the engine does not support environment variables.</returns>
    protected virtual JObject? PrintEnvironmentVariablePayload(string name) => null;

    /// <summary>
    /// A payload that sends <c>GET /v1/ping</c> to the proxy named <paramref name="proxyName"/>, writes the
    /// reply's body to the log and fails unless the status is 2xx; required with <see cref="EngineFeatures.Proxies"/>.
    /// </summary>
    /// <param name="proxyName">The proxy's name.</param>
    /// <returns>The payload, or <see langword="null"/> when the engine does not support proxies.</returns>
    protected virtual JObject? PingProxyPayload(string proxyName) => null;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        environment = await EngineTestEnvironment.CreateAsync().ConfigureAwait(false);
        engine = CreateProvider().Create(new EngineOptions(EngineConfig, environment.Environment, NullLogger.Instance));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (engine is not null)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var task in tasks)
        {
            await task.DisposeAsync().ConfigureAwait(false);
        }

        if (environment is not null)
        {
            await environment.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The engine config matches the provider's config schema, and every payload the subclass supplies
    /// matches the engine's payload schema: a worker validates both before the engine sees them.
    /// </summary>
    [SkippableFact]
    public void TheConfigAndThePayloadsMatchTheirSchemas()
    {
        var engine = Engine;
        var config = SchemaValidator.Create(CreateProvider().ConfigSchema).Validate(EngineConfig);
        Assert.True(config.Count == 0, "The engine config does not match the provider's config schema:\n" + string.Join("\n", config));
        var validator = SchemaValidator.Create(engine.PayloadSchema);
        foreach (var (member, payload) in SuppliedPayloads())
        {
            var violations = validator.Validate(payload);
            Assert.True(violations.Count == 0, $"The payload of {member} does not match the engine's payload schema:\n" + string.Join("\n", violations));
        }
    }

    /// <summary>The marker is in the log of a successful run.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task LogsTheMarkerOnSuccess()
    {
        var marker = Marker();
        var (result, task) = await RunAsync(LogPayload(marker)).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The log payload did not succeed:\n" + task.LogText);
            Assert.Contains(marker, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>The marker is in the log of a failed run, and the result is unsuccessful.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task LogsTheMarkerOnFailure()
    {
        var marker = Marker();
        var (result, task) = await RunAsync(FailingLogPayload(marker)).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.False(result.Success, "The failing payload succeeded:\n" + task.LogText);
            Assert.Contains(marker, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>A silent run, beside one that logs the marker, succeeds without the marker in its own log: logs are per task.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task TheSilentPayloadSucceedsWithoutTheMarkerOfATaskBesideIt()
    {
        var marker = Marker();
        var logging = RunAsync(LogPayload(marker));
        var (result, task) = await RunAsync(SilentPayload()).ConfigureAwait(false);
        var (other, otherTask) = await logging.ConfigureAwait(false);
        await using (other.ConfigureAwait(false))
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The silent payload did not succeed:\n" + task.LogText);
            Assert.Contains(marker, otherTask.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain(marker, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Once a task has ended, every wait returns the same result, an abort throws
    /// <see cref="SandboxTerminatedException"/> and a kill (where declared) changes nothing.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AfterTheEndAbortThrowsAndKillChangesNothing()
    {
        var (sandbox, task) = await StartAsync(SilentPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                await Assert.ThrowsAsync<SandboxTerminatedException>(sandbox.AbortAsync).ConfigureAwait(false);
                if (Engine.Capabilities.Supports(EngineFeatures.Kill))
                {
                    await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
                }

                Assert.Same(result, await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false));
                Assert.True(result.Success, "The silent payload did not succeed:\n" + task.LogText);
            }
        }
    }

    /// <summary>A variable set on the builder is seen by the task.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task PrintsAnEnvironmentVariable()
    {
        var payload = Required(EngineFeatures.EnvironmentVariables, PrintEnvironmentVariablePayload(EnvironmentVariableName), nameof(PrintEnvironmentVariablePayload));
        var value = Marker();
        var (result, task) = await RunAsync(payload, b => b.SetEnvironmentVariable(EnvironmentVariableName, value)).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The print payload did not succeed:\n" + task.LogText);
            Assert.Contains(value, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>Setting a variable twice is a <see cref="NamingConflictException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ADuplicateEnvironmentVariableIsANamingConflict()
    {
        RequireFeature(EngineFeatures.EnvironmentVariables);
        var builder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            builder.SetEnvironmentVariable(EnvironmentVariableName, "first");
            Assert.Throws<NamingConflictException>(() => builder.SetEnvironmentVariable(EnvironmentVariableName, "second"));
        }
    }

    /// <summary>Invalid variable names are a <see cref="MalformedPayloadException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task InvalidEnvironmentVariableNamesAreMalformed()
    {
        RequireFeature(EngineFeatures.EnvironmentVariables);
        var builder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            foreach (var name in InvalidEnvironmentVariableNames)
            {
                var error = Record.Exception(() => builder.SetEnvironmentVariable(name, "x"));
                Assert.True(error is MalformedPayloadException, $"Setting '{name}' threw {error?.GetType().Name ?? "nothing"}, not MalformedPayloadException.");
            }
        }
    }

    /// <summary>Killing a running sandbox gives an unsuccessful result, the same on every call.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task KillEndsARunningSandboxUnsuccessfully()
    {
        RequireFeature(EngineFeatures.Kill);
        var (sandbox, task) = await StartRunningAsync(SleepPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                Assert.False(result.Success, "A killed sandbox reported success:\n" + task.LogText);
                Assert.Same(result, await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false));
            }
        }
    }

    /// <summary>After an abort, waiting for the result throws <see cref="SandboxAbortedException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AbortMakesWaitForResultThrow()
    {
        var (sandbox, _) = await StartRunningAsync(SleepPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.AbortAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await Assert.ThrowsAsync<SandboxAbortedException>(() => sandbox.WaitForResultAsync().WaitAsync(Timeout)).ConfigureAwait(false);
        }
    }

    /// <summary>A file in the result set has the content the task wrote.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AnArtifactFileHasItsContent()
    {
        var artifacts = Required(EngineFeatures.Artifacts, Artifacts, nameof(Artifacts));
        var (result, task) = await RunAsync(artifacts.Payload).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The artifacts payload did not succeed:\n" + task.LogText);
            Assert.Equal(artifacts.FileText, await ReadAsync(await result.OpenFileAsync(artifacts.FilePath).ConfigureAwait(false)).ConfigureAwait(false));
        }
    }

    /// <summary>A folder lists exactly its nested files, with relative '/' paths, and each opens.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AnArtifactFolderListsItsNestedFiles()
    {
        var artifacts = Required(EngineFeatures.Artifacts, Artifacts, nameof(Artifacts));
        var (result, _) = await RunAsync(artifacts.Payload).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            var listed = new List<string>();
            await foreach (var file in result.EnumerateFolderAsync(artifacts.FolderPath).ConfigureAwait(false))
            {
                listed.Add(file.RelativePath);
                await ReadAsync(await file.OpenAsync().ConfigureAwait(false)).ConfigureAwait(false);
            }

            Assert.Equal(artifacts.FolderFiles.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        }
    }

    /// <summary>A missing file or folder is a <see cref="ResourceNotFoundException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AMissingArtifactIsNotFound()
    {
        var artifacts = Required(EngineFeatures.Artifacts, Artifacts, nameof(Artifacts));
        var (result, _) = await RunAsync(artifacts.Payload).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => result.OpenFileAsync(artifacts.FilePath + "-missing")).ConfigureAwait(false);
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => ListAsync(result, artifacts.FolderPath + "-missing")).ConfigureAwait(false);
        }
    }

    /// <summary>Paths that leave the sandbox (<c>../</c>, a symbolic link pointing out) are a <see cref="PathEscapesSandboxException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ArtifactPathsCannotEscapeTheSandbox()
    {
        var artifacts = Required(EngineFeatures.Artifacts, Artifacts, nameof(Artifacts));
        var (result, _) = await RunAsync(artifacts.Payload).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../x")).ConfigureAwait(false);
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("../../../../../../etc/passwd")).ConfigureAwait(false);
            if (artifacts.EscapingSymlinkPath is { } symlink)
            {
                await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync(symlink)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What one task writes to a volume another task reads; reading an empty volume fails.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AVolumeKeepsWhatATaskWrote()
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var volume = await Engine.CreateVolumeAsync(volumes.VolumeOptions).WaitAsync(Timeout).ConfigureAwait(false);
        await using (volume.ConfigureAwait(false))
        {
            Assert.False(await SucceedsWithVolumeAsync(volumes.CheckPayload, volumes.MountPoint, volume, readOnly: false).ConfigureAwait(false), "Checking an empty volume succeeded.");
            Assert.True(await SucceedsWithVolumeAsync(volumes.WritePayload, volumes.MountPoint, volume, readOnly: false).ConfigureAwait(false), "Writing to the volume failed.");
            Assert.True(await SucceedsWithVolumeAsync(volumes.CheckPayload, volumes.MountPoint, volume, readOnly: false).ConfigureAwait(false), "What was written is not in the volume.");
        }
    }

    /// <summary>A read-only volume can be read but not written.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AReadOnlyVolumeRefusesWrites()
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var volume = await Engine.CreateVolumeAsync(volumes.VolumeOptions).WaitAsync(Timeout).ConfigureAwait(false);
        await using (volume.ConfigureAwait(false))
        {
            Assert.False(await SucceedsWithVolumeAsync(volumes.WritePayload, volumes.MountPoint, volume, readOnly: true).ConfigureAwait(false), "Writing to a read-only volume succeeded.");
            Assert.True(await SucceedsWithVolumeAsync(volumes.WritePayload, volumes.MountPoint, volume, readOnly: false).ConfigureAwait(false), "Writing to the volume failed.");
            Assert.True(await SucceedsWithVolumeAsync(volumes.CheckPayload, volumes.MountPoint, volume, readOnly: true).ConfigureAwait(false), "Reading a read-only volume failed.");
        }
    }

    /// <summary>A task reaches an attached proxy with <c>GET /v1/ping</c> and logs the reply.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ATaskReachesAProxy()
    {
        var payload = Required(EngineFeatures.Proxies, PingProxyPayload(ProxyName), nameof(PingProxyPayload));
        var reply = Marker();
        string? seen = null;
        var (result, task) = await RunAsync(payload, b => b.AttachProxy(ProxyName, async context =>
        {
            seen = context.Request.Method + " " + context.Request.PathBase + context.Request.Path;
            await context.Response.WriteAsync(reply).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The ping payload did not succeed:\n" + task.LogText);
            Assert.NotNull(seen);
            Assert.StartsWith("GET ", seen, StringComparison.Ordinal);
            Assert.EndsWith("/v1/ping", seen, StringComparison.Ordinal);
            Assert.Contains(reply, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>A proxy that answers 404 makes the ping payload unsuccessful.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AProxyAnswering404FailsThePing()
    {
        var payload = Required(EngineFeatures.Proxies, PingProxyPayload(ProxyName), nameof(PingProxyPayload));
        var (result, task) = await RunAsync(payload, b => b.AttachProxy(ProxyName, context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        })).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.False(result.Success, "The ping payload succeeded on a 404:\n" + task.LogText);
        }
    }

    /// <summary>A shell runs a command in a running sandbox: its output and exit code arrive. Disposing the sandbox ends it.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AShellRunsACommand()
    {
        var shells = Required(EngineFeatures.Shells, Shells, nameof(Shells));
        var (sandbox, _) = await StartRunningAsync(shells.Payload).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            var shell = await sandbox.OpenShellAsync(shells.Command, tty: false).WaitAsync(Timeout).ConfigureAwait(false);
            await using (shell.ConfigureAwait(false))
            {
                shell.StandardInput.Close();
                var stdout = new StreamReader(shell.StandardOutput, Encoding.UTF8).ReadToEndAsync();
                Assert.Equal(0, await shell.WaitAsync().WaitAsync(Timeout).ConfigureAwait(false));
                Assert.Equal(shells.Stdout, await stdout.WaitAsync(Timeout).ConfigureAwait(false));
            }
        }
    }

    /// <summary>A text unique to one case, to look for in a log.</summary>
    /// <returns>Letters, digits and dashes.</returns>
    protected static string Marker() => "tcw-kit-marker-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Creates a sandbox builder for <paramref name="payload"/> with a new task context.</summary>
    /// <param name="payload">The engine payload.</param>
    /// <returns>The builder; the caller disposes it.</returns>
    protected async Task<ISandboxBuilder> CreateBuilderAsync(JObject payload) => (await CreateBuilderWithTaskAsync(payload).ConfigureAwait(false)).Builder;

    /// <summary>Builds and starts a sandbox, then waits for its result.</summary>
    /// <param name="payload">The engine payload.</param>
    /// <param name="build">Adds to the builder before the start (variables, proxies, volumes).</param>
    /// <returns>The result, which the caller disposes, and the task context with its log.</returns>
    protected async Task<(IResultSet Result, TestTaskContext Task)> RunAsync(JObject payload, Action<ISandboxBuilder>? build = null)
    {
        var (sandbox, task) = await StartAsync(payload, build).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            return (await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false), task);
        }
    }

    /// <summary>Builds and starts a sandbox.</summary>
    /// <param name="payload">The engine payload.</param>
    /// <param name="build">Adds to the builder before the start.</param>
    /// <returns>The sandbox, which the caller disposes, and the task context with its log.</returns>
    protected async Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload, Action<ISandboxBuilder>? build = null)
    {
        var (builder, task) = await CreateBuilderWithTaskAsync(payload).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            build?.Invoke(builder);
            return (await builder.StartAsync().WaitAsync(Timeout).ConfigureAwait(false), task);
        }
    }

    private IEnumerable<(string Member, JObject Payload)> SuppliedPayloads()
    {
        yield return (nameof(LogPayload), LogPayload(Marker()));
        yield return (nameof(FailingLogPayload), FailingLogPayload(Marker()));
        yield return (nameof(SilentPayload), SilentPayload());
        yield return (nameof(SleepPayload), SleepPayload());
        var optional = new (string, JObject?)[]
        {
            (nameof(PrintEnvironmentVariablePayload), PrintEnvironmentVariablePayload(EnvironmentVariableName)),
            (nameof(PingProxyPayload), PingProxyPayload(ProxyName)),
            (nameof(Artifacts), Artifacts?.Payload),
            (nameof(Volumes) + ".WritePayload", Volumes?.WritePayload),
            (nameof(Volumes) + ".CheckPayload", Volumes?.CheckPayload),
            (nameof(Shells), Shells?.Payload),
        };
        foreach (var (member, payload) in optional)
        {
            if (payload is not null)
            {
                yield return (member, payload);
            }
        }
    }

    private async Task<(ISandbox Sandbox, TestTaskContext Task)> StartRunningAsync(JObject payload)
    {
        var (sandbox, task) = await StartAsync(payload).ConfigureAwait(false);
        if (SleepStartedText is { } started)
        {
            await task.WaitForLogAsync(started, Timeout).ConfigureAwait(false);
        }

        return (sandbox, task);
    }

    private async Task<bool> SucceedsWithVolumeAsync(JObject payload, string mountPoint, IVolume volume, bool readOnly)
    {
        var (result, _) = await RunAsync(payload, b => b.AttachVolume(mountPoint, volume, readOnly)).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            return result.Success;
        }
    }

    private async Task<(ISandboxBuilder Builder, TestTaskContext Task)> CreateBuilderWithTaskAsync(JObject payload)
    {
        var task = TestEnvironment.CreateTask();
        tasks.Add(task);
        return (await Engine.CreateSandboxBuilderAsync(new SandboxOptions(task, payload)).WaitAsync(Timeout).ConfigureAwait(false), task);
    }

    private void RequireFeature(EngineFeatures feature) =>
        Skip.IfNot(Engine.Capabilities.Supports(feature), $"the engine does not declare EngineFeatures.{feature}");

    private T Required<T>(EngineFeatures feature, T? value, string member)
        where T : class
    {
        RequireFeature(feature);
        return value ?? throw new InvalidOperationException($"The engine declares EngineFeatures.{feature}, but {GetType().Name} does not override {member}.");
    }

    private static async Task<string> ReadAsync(Stream stream)
    {
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync().ConfigureAwait(false);
        }
    }

    private static async Task ListAsync(IResultSet result, string path)
    {
        await foreach (var _ in result.EnumerateFolderAsync(path).ConfigureAwait(false))
        {
        }
    }
}
