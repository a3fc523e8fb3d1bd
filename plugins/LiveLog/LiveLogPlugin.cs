using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.LiveLog;

internal sealed class LiveLogPlugin(IWebhookServer webhooks) : IPlugin
{
    public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Live log", $"While the task runs, `{LiveLogPluginProvider.ArtifactName}` redirects to the log as it is written (a viewer page is one level up). When the task ends it links to `public/logs/live_backing.log`, the full log."),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.FromResult<ITaskPlugin>(new LiveLogTaskPlugin(options.Task, webhooks));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class LiveLogTaskPlugin(ITaskContext task, IWebhookServer webhooks) : ITaskPlugin
{
    private WebhookRegistration? hook;

    public async Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
    {
        hook = await webhooks.AttachAsync(ServeAsync, cancellationToken).ConfigureAwait(false);
        var url = new Uri(hook.Url, "log");
        try
        {
            await task.Artifacts.CreateReferenceAsync(LiveLogPluginProvider.ArtifactName, url, "text/plain; charset=utf-8", cancellationToken: cancellationToken).ConfigureAwait(false);
            task.Log.WriteLine($"Live log: {url}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The live log is a convenience: a queue that cannot be reached right now must not fail the
            // task; the full log is uploaded at the end all the same.
            task.Log.WriteErrorLine($"The live log could not be published as {LiveLogPluginProvider.ArtifactName} ({e.Message}); it is still served at {url}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (hook is not null)
        {
            await hook.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers.AccessControlExposeHeaders = "X-Streaming";
        response.Headers.CacheControl = "no-cache, no-store";
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            response.Headers.AccessControlAllowMethods = "GET, OPTIONS";
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/log":
                await StreamLogAsync(context).ConfigureAwait(false);
                break;
            case "/" or "":
                response.ContentType = "text/html; charset=utf-8";
                await response.WriteAsync(ViewerPage.Html, context.RequestAborted).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private async Task StreamLogAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers["X-Streaming"] = "true";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var reader = task.Log.OpenReader();
        await using var disposeReader = reader.ConfigureAwait(false);
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The reader went away.
        }
    }
}
