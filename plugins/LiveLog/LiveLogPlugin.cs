using System.Buffers;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.LogViewer;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.LiveLog;

internal sealed class LiveLogPlugin(IWebhookServer webhooks, TimeProvider time) : IPlugin
{
    public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    /// <summary>generic-worker's payload names the logs (<c>logs</c>) and switches them (<c>features.liveLog</c>, <c>features.backingLog</c>).</summary>
    public JObject? GetPayloadSchema(PayloadBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return branch.Dialect != PayloadDialects.GenericWorker ? PayloadSchema : JObject.Parse($$"""
            {
              "type": "object",
              "properties": {
                "logs": {
                  "type": "object",
                  "description": "The names of the log artifacts, as in generic-worker.",
                  "properties": {
                    "live": { "type": "string", "default": "{{LiveLogPluginProvider.ArtifactName}}", "description": "The live log: a reference to the log as it is written, linked to the backing log when the task ends." },
                    "backing": { "type": "string", "default": "public/logs/live_backing.log", "description": "The full task log, uploaded when the task ends." }
                  },
                  "additionalProperties": false
                },
                "features": {
                  "type": "object",
                  "properties": {
                    "liveLog": { "type": "boolean", "default": true, "description": "Serves the log live while the task runs (logs.live)." },
                    "backingLog": { "type": "boolean", "default": true, "description": "Uploads the full log when the task ends (logs.backing). Without it the task leaves no log artifact, and a live log's reference is not linked to one." }
                  }
                }
              }
            }
            """);
    }

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Live log", $"While the task runs, `{LiveLogPluginProvider.ArtifactName}` redirects to the log as it is written (a viewer page is one level up). When the task ends it links to `public/logs/live_backing.log`, the full log. In generic-worker's payload, `logs.live` and `logs.backing` rename the two artifacts, `features.liveLog: false` leaves the live log out, and `features.backingLog: false` uploads no full log (a malformed payload's log is uploaded all the same, under the default name, so its reason can be read)."),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["features"]?["liveLog"] is JValue { Type: JTokenType.Boolean } on && !on.Value<bool>())
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        var name = options.Payload["logs"]?["live"] is JValue { Type: JTokenType.String } live && live.Value<string>() is { Length: > 0 } given ? given : LiveLogPluginProvider.ArtifactName;
        return Task.FromResult<ITaskPlugin>(new LiveLogTaskPlugin(options.Task, webhooks, time, name));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class LiveLogTaskPlugin(ITaskContext task, IWebhookServer webhooks, TimeProvider time, string artifactName) : ITaskPlugin
{
    private const int ChunkSize = 256 * 1024;
    private static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(10);

    private WebhookRegistration? hook;

    /// <summary>
    /// Before the sandbox starts, so the <c>Live log:</c> line comes before the task's first output:
    /// the server is attached and the artifact published here, not once the task runs.
    /// </summary>
    public async Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        hook = await webhooks.AttachAsync(ServeAsync, cancellationToken).ConfigureAwait(false);
        var url = new Uri(hook.Url, "log");
        try
        {
            await task.Artifacts.CreateReferenceAsync(artifactName, url, "text/plain; charset=utf-8", cancellationToken: cancellationToken).ConfigureAwait(false);
            task.Log.WriteLine($"Live log: {url}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The live log is a convenience: a queue that cannot be reached right now must not fail the
            // task; the full log is uploaded at the end all the same.
            task.Log.WriteErrorLine($"The live log could not be published as {artifactName} ({e.Message}); it is still served at {url}");
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
                await LogViewerAssets.Files.TryServeAsync(context, "viewer.html").ConfigureAwait(false);
                break;
            default:
                if (!await LogViewerAssets.Files.TryServeAsync(context, context.Request.Path.Value!.TrimStart('/')).ConfigureAwait(false))
                {
                    response.StatusCode = StatusCodes.Status404NotFound;
                }

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
        // A read returns what is there, up to the buffer. After a short read the stream pauses
        // briefly, so a task writing fast is sent in large chunks (one write and one flush each)
        // rather than in its own small writes, each of which would cost a round of wake-ups in the
        // worker, the HTTP server and the reader; a line still shows within the pause.
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(0, ChunkSize), context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                if (read < ChunkSize && !task.Log.IsClosed)
                {
                    await Task.Delay(CoalesceDelay, time, context.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The reader went away.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
