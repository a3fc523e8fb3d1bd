using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using Xunit;

namespace TcWorker.Testing;

/// <content>The cases of the optional features: environment variables, artifacts, volumes, proxies and shells.</content>
public abstract partial class EngineConformanceTests
{
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
    public Task AVolumeKeepsWhatATaskWrote() => AssertVolumeStepsAsync(
        (v => v.CheckPayload, false, false, "Checking an empty volume succeeded."),
        (v => v.WritePayload, false, true, "Writing to the volume failed."),
        (v => v.CheckPayload, false, true, "What was written is not in the volume."));

    /// <summary>A read-only volume can be read but not written.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public Task AReadOnlyVolumeRefusesWrites() => AssertVolumeStepsAsync(
        (v => v.WritePayload, true, false, "Writing to a read-only volume succeeded."),
        (v => v.WritePayload, false, true, "Writing to the volume failed."),
        (v => v.CheckPayload, true, true, "Reading a read-only volume failed."));

    /// <summary>A task reaches an attached proxy with <c>GET /v1/ping</c> and logs the reply.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ATaskReachesAProxy()
    {
        var payload = Required(EngineFeatures.Proxies, PingProxyPayload(ProxyName), nameof(PingProxyPayload));
        var reply = Marker();
        string? seen = null;
        var (result, task) = await RunAsync(payload, b => b.AttachProxyAsync(ProxyName, async context =>
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
        var (result, task) = await RunAsync(payload, b => b.AttachProxyAsync(ProxyName, context =>
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

    /// <summary>Runs the steps one after the other on one new volume, each in a sandbox of its own.</summary>
    private async Task AssertVolumeStepsAsync(params (Func<VolumesCase, JObject> Payload, bool ReadOnly, bool Succeeds, string Otherwise)[] steps)
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var volume = await Engine.CreateVolumeAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        await using (volume.ConfigureAwait(false))
        {
            foreach (var (payload, readOnly, succeeds, otherwise) in steps)
            {
                var (result, task) = await RunAsync(payload(volumes), b => b.AttachVolume(new VolumeMount { MountPoint = volumes.MountPoint, Volume = volume, ReadOnly = readOnly })).ConfigureAwait(false);
                await using (result.ConfigureAwait(false))
                {
                    Assert.True(result.Success == succeeds, otherwise + "\n" + task.LogText);
                }
            }
        }
    }
}
