using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using Xunit;

namespace TcWorker.Testing;

/// <content>The cases of the optional features: environment variables, artifacts, proxies and shells.</content>
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

    /// <summary>
    /// A task reaches an attached proxy at the URL <c>AttachProxyAsync</c> returned, passed to it in an environment
    /// variable: <c>GET</c> on the URL followed by <c>v1/ping</c> reaches the handler with the path <c>/v1/ping</c>
    /// (the proxy's prefix moved to <c>PathBase</c>), and the reply reaches the log.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ATaskReachesAProxyAtItsUrl()
    {
        var payload = RequiredProxyPayload();
        var reply = Marker();
        string? seen = null;
        var (result, task) = await RunAsync(payload, b => AttachProxyForTaskAsync(b, async context =>
        {
            seen = context.Request.Method + " " + context.Request.Path;
            await context.Response.WriteAsync(reply).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The ping payload did not succeed:\n" + task.LogText);
            Assert.Equal("GET /v1/ping", seen);
            Assert.Contains(reply, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>A proxy that answers 404 makes the ping payload unsuccessful.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AProxyAnswering404FailsThePing()
    {
        var payload = RequiredProxyPayload();
        var (result, task) = await RunAsync(payload, b => AttachProxyForTaskAsync(b, context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        })).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.False(result.Success, "The ping payload succeeded on a 404:\n" + task.LogText);
        }
    }

    /// <summary>Two proxies get two URLs, each ending in <c>/</c>; a name attached twice is a <see cref="NamingConflictException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task EachProxyHasItsOwnUrlAndName()
    {
        RequireFeature(EngineFeatures.Proxies);
        var builder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            var first = await builder.AttachProxyAsync(ProxyName, _ => Task.CompletedTask).WaitAsync(Timeout).ConfigureAwait(false);
            var second = await builder.AttachProxyAsync(ProxyName + "two", _ => Task.CompletedTask).WaitAsync(Timeout).ConfigureAwait(false);
            Assert.EndsWith("/", first.Url.AbsoluteUri, StringComparison.Ordinal);
            Assert.EndsWith("/", second.Url.AbsoluteUri, StringComparison.Ordinal);
            Assert.NotEqual(first.Url, second.Url);
            await Assert.ThrowsAsync<NamingConflictException>(() => builder.AttachProxyAsync(ProxyName, _ => Task.CompletedTask).WaitAsync(Timeout)).ConfigureAwait(false);
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

    /// <summary>The ping payload, once the engine declares proxies and environment variables (the URL reaches the task in a variable).</summary>
    private JObject RequiredProxyPayload()
    {
        RequireFeature(EngineFeatures.Proxies | EngineFeatures.EnvironmentVariables);
        return Required(EngineFeatures.Proxies, PingProxyUrlPayload(ProxyUrlVariable), nameof(PingProxyUrlPayload));
    }

    /// <summary>Attaches <paramref name="handler"/> as the proxy <see cref="ProxyName"/> and hands its URL to the task in <see cref="ProxyUrlVariable"/>.</summary>
    private async Task AttachProxyForTaskAsync(ISandboxBuilder builder, RequestDelegate handler)
    {
        var endpoint = await builder.AttachProxyAsync(ProxyName, handler).ConfigureAwait(false);
        Assert.EndsWith("/", endpoint.Url.AbsoluteUri, StringComparison.Ordinal);
        builder.SetEnvironmentVariable(ProxyUrlVariable, endpoint.Url.AbsoluteUri);
    }
}
