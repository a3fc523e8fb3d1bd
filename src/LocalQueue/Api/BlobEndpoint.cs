using Microsoft.AspNetCore.Http;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// Serves the signed artifact URLs: PUT stores the bytes as sent with their Content-Type and
/// Content-Encoding, GET/HEAD returns them with the same headers (as S3 does; the bytes are never
/// decoded here). A PUT's signature is checked before its body is read, and the body is held to
/// the minimum data rate but to no length or deadline: uploads may be GiBs.
/// </summary>
internal sealed class BlobEndpoint
{
    private readonly QueueContext queue;

    public BlobEndpoint(QueueContext queue) => this.queue = queue;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var key = request.Path.Value![BlobStore.RoutePrefix.Length..];
        var method = request.Method == "HEAD" ? "GET" : request.Method;
        if (method is not ("GET" or "PUT") || !queue.Blobs.Verify(method, key, request.Query["expires"], request.Query["signature"], queue.Options.TimeProvider.GetUtcNow()))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (method == "PUT")
        {
            var options = queue.Options;
            long length;
            using (var body = new PacedBodyReader(context, options.MinRequestBodyDataRate, options.MinRequestBodyDataRateWindow, deadline: null, options.TimeProvider))
            {
                try
                {
                    length = await queue.Blobs.WriteAsync(key, body, context.RequestAborted).ConfigureAwait(false);
                }
                catch (QueueError e)
                {
                    context.Response.StatusCode = (int)e.Status;
                    return;
                }
            }

            var contentType = request.ContentType ?? "application/octet-stream";
            var contentEncoding = request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding ? encoding : null;
            await queue.Store.RunAsync((db, _) => { db.SaveBlob(key, contentType, length, contentEncoding); return true; }, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        var blob = await queue.Store.RunAsync((db, _) => db.GetBlob(key), context.RequestAborted).ConfigureAwait(false);
        if (blob is not { } found)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = found.ContentType;
        context.Response.ContentLength = found.Length;
        if (found.ContentEncoding is { } stored)
        {
            context.Response.Headers.ContentEncoding = stored;
        }
        if (request.Method == "HEAD")
        {
            return;
        }

        await context.Response.SendFileAsync(queue.Blobs.PathOf(key), context.RequestAborted).ConfigureAwait(false);
    }
}
