using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.TaskclusterProxy;

/// <summary>One task's proxy: attached to its sandbox, stopped as soon as the task has ended.</summary>
internal sealed class TaskclusterProxyTaskPlugin(ProxyHandler handler, string engine, ITaskLog log) : ITaskPlugin
{
    /// <summary>Path segments at least this long are taken for the URL's secret (the process engines put 256 random bits there).</summary>
    internal const int SecretSegmentLength = 16;

    /// <summary>The proxy's name on the sandbox builder.</summary>
    internal const string ProxyName = "taskcluster";

    public async Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        ProxyEndpoint endpoint;
        try
        {
            endpoint = await builder.AttachProxyAsync(ProxyName, handler.HandleAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (FeatureNotSupportedException e)
        {
            throw new MalformedPayloadException($"{TaskclusterProxyPlugin.NoProxies(engine)} ({e.Message})");
        }

        // Whoever holds the URL may call with the task's scopes, and the live log is public: mask its secret.
        var secrets = endpoint.Url.AbsolutePath.Split('/').Where(s => s.Length >= SecretSegmentLength).ToArray();
        if (secrets.Length > 0)
        {
            log.AddFilter(new SecretMasker(secrets).CreateFilter());
        }

        try
        {
            // Without the trailing slash, as generic-worker gives it: "$TASKCLUSTER_PROXY_URL/api/..." then has one slash.
            builder.SetEnvironmentVariable(TaskclusterProxyPluginProvider.UrlVariable, endpoint.Url.AbsoluteUri.TrimEnd('/'));
        }
        catch (NamingConflictException)
        {
            throw new MalformedPayloadException($"$.features.taskclusterProxy: {TaskclusterProxyPluginProvider.UrlVariable} is also set by another plugin (or the task's env)");
        }
        catch (FeatureNotSupportedException)
        {
            throw new MalformedPayloadException($"$.features.taskclusterProxy: the engine '{engine}' of this worker cannot set environment variables, so the task could not find its proxy");
        }
    }

    public Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        handler.Stop();
        return Task.FromResult(true);
    }

    public Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken)
    {
        handler.Stop();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        handler.Stop();
        return ValueTask.CompletedTask;
    }
}
