using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
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
public abstract partial class EngineConformanceTests : IAsyncLifetime
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

    /// <summary>The proxy name the proxy cases attach (lowercase letters).</summary>
    protected virtual string ProxyName => "kitproxy";

    /// <summary>The variable in which the proxy cases hand the proxy's URL to the task.</summary>
    protected virtual string ProxyUrlVariable => "TCW_KIT_PROXY_URL";

    /// <summary>The artifact case, required when the engine declares <see cref="EngineFeatures.Artifacts"/>.</summary>
    protected virtual ArtifactsCase? Artifacts => null;

    /// <summary>The volume case, required when the engine declares <see cref="EngineFeatures.Volumes"/>.</summary>
    protected virtual VolumesCase? Volumes => null;

    /// <summary>The shell case, required when the engine declares <see cref="EngineFeatures.Shells"/>.</summary>
    protected virtual ShellsCase? Shells => null;

    /// <summary>The display case, required when the engine declares <see cref="EngineFeatures.Displays"/>.</summary>
    protected virtual DisplaysCase? Displays => null;

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
    /// A payload that sends <c>GET</c> to the URL in the variable <paramref name="variableName"/> followed by
    /// <c>v1/ping</c> (the URL ends in <c>/</c>: <c>curl -fsS "${VAR}v1/ping"</c>), writes the reply's body to the log
    /// and fails unless the status is 2xx; required with <see cref="EngineFeatures.Proxies"/> and
    /// <see cref="EngineFeatures.EnvironmentVariables"/>. The kit attaches the proxy and sets the variable to the URL
    /// <c>AttachProxyAsync</c> returned.
    /// </summary>
    /// <param name="variableName">The variable that holds the proxy's URL.</param>
    /// <returns>The payload, or <see langword="null"/> when the engine does not support proxies.</returns>
    protected virtual JObject? PingProxyUrlPayload(string variableName) => null;

    /// <summary>
    /// A payload that logs <see cref="SleepStartedText"/> (when set) once it is ready to be asked to stop, then runs
    /// until stopped; asked to stop (SIGTERM, or the engine's equivalent), it writes <paramref name="text"/> to the log
    /// and exits. Optional with <see cref="EngineFeatures.Kill"/>: the case that kills with a grace period is skipped
    /// without it.
    /// </summary>
    /// <param name="text">Letters, digits and dashes; print it so that the engine's own log lines do not hold it whole.</param>
    /// <returns>The payload, or <see langword="null"/> when the engine cannot ask a task to stop.</returns>
    protected virtual JObject? StopOnTerminationPayload(string text) => null;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        environment = await EngineTestEnvironment.CreateAsync().ConfigureAwait(false);
        engine = CreateProvider().Create(new EngineOptions { Config = EngineConfig, Environment = environment.Environment, Logger = NullLogger.Instance });

        // As a worker does before its first claim; a start that fails fails every case with its message.
        await engine.StartAsync().WaitAsync(Timeout).ConfigureAwait(false);
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
    protected Task<(IResultSet Result, TestTaskContext Task)> RunAsync(JObject payload, Action<ISandboxBuilder>? build = null) =>
        RunAsync(payload, build is null ? null : b =>
        {
            build(b);
            return Task.CompletedTask;
        });

    /// <summary>Builds and starts a sandbox, then waits for its result.</summary>
    /// <param name="payload">The engine payload.</param>
    /// <param name="build">Adds to the builder before the start (variables, proxies, volumes), asynchronously.</param>
    /// <returns>The result, which the caller disposes, and the task context with its log.</returns>
    protected async Task<(IResultSet Result, TestTaskContext Task)> RunAsync(JObject payload, Func<ISandboxBuilder, Task>? build)
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
    protected Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload, Action<ISandboxBuilder>? build = null) =>
        StartAsync(payload, build is null ? null : b =>
        {
            build(b);
            return Task.CompletedTask;
        });

    /// <summary>Builds and starts a sandbox.</summary>
    /// <param name="payload">The engine payload.</param>
    /// <param name="build">Adds to the builder before the start, asynchronously.</param>
    /// <returns>The sandbox, which the caller disposes, and the task context with its log.</returns>
    protected async Task<(ISandbox Sandbox, TestTaskContext Task)> StartAsync(JObject payload, Func<ISandboxBuilder, Task>? build)
    {
        var (builder, task) = await CreateBuilderWithTaskAsync(payload).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            if (build is not null)
            {
                await build(builder).WaitAsync(Timeout).ConfigureAwait(false);
            }

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
            (nameof(PingProxyUrlPayload), PingProxyUrlPayload(ProxyUrlVariable)),
            (nameof(StopOnTerminationPayload), StopOnTerminationPayload(Marker())),
            (nameof(Artifacts), Artifacts?.Payload),
            (nameof(Artifacts) + ".WriteThenSleepPayload", Artifacts?.WriteThenSleepPayload),
            (nameof(Displays), Displays?.Payload),
            (nameof(Volumes) + ".WritePayload", Volumes?.WritePayload),
            (nameof(Volumes) + ".CheckPayload", Volumes?.CheckPayload),
            (nameof(Volumes) + ".CheckBuiltPayload", Volumes?.CheckBuiltPayload),
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

    private async Task<(ISandboxBuilder Builder, TestTaskContext Task)> CreateBuilderWithTaskAsync(JObject payload)
    {
        var task = TestEnvironment.CreateTask();
        tasks.Add(task);
        return (await Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = payload }).WaitAsync(Timeout).ConfigureAwait(false), task);
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
