using System.IO.Pipelines;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>The object service routes object artifacts need: createUpload, finishUpload and startDownload.</summary>
internal sealed class ObjectApi
{
    private const int MaxInlineBytes = 8192;
    private static readonly TimeSpan UrlLifetime = TimeSpan.FromMinutes(45);
    private readonly QueueContext _queue;

    public ObjectApi(QueueContext queue) => _queue = queue;

    public IEnumerable<Route> Routes()
    {
        var upload = ScopeExpression.Single("object:upload:<projectId>:<name>");
        yield return new Route("GET", "ping", "ping", null, _ => Task.FromResult(ApiReply.Json(new JObject { ["alive"] = true, ["uptime"] = 0 })));
        yield return new Route("PUT", "upload/<*name>", "createUpload", upload, CreateUploadAsync, handlerAuthorizes: true);
        yield return new Route("POST", "finish-upload/<*name>", "finishUpload", upload, FinishUploadAsync, handlerAuthorizes: true);
        yield return new Route("PUT", "start-download/<*name>", "startDownload", ScopeExpression.Single("object:download:<name>"), StartDownloadAsync);
    }

    private async Task<ApiReply> CreateUploadAsync(ApiRequest request)
    {
        var name = request["name"];
        ArtifactName.CheckParameter(name);

        var body = request.Strict("projectId", "uploadId", "expires", "proposedUploadMethods", "hashes");
        var projectId = ApiRequest.RequiredString(body, "projectId");
        if (!TaskDefinition.IsProjectId(projectId))
        {
            throw QueueError.Validation($"Schema Validation Failed!\ndata/projectId {TcWorker.Taskcluster.TaskclusterIdentifiers.Quote(projectId)} must match ^([a-zA-Z0-9._/-]*)$");
        }

        var uploadId = ApiRequest.RequiredString(body, "uploadId");
        var expires = ApiRequest.RequiredDate(body, "expires");
        request.Authorize(new Dictionary<string, object> { ["projectId"] = projectId });
        var methods = body["proposedUploadMethods"] as JObject ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'proposedUploadMethods'");
        byte[]? inline = null;
        string? inlineType = null;
        if (methods["dataInline"] is JObject dataInline)
        {
            inlineType = ApiRequest.RequiredString(dataInline, "contentType");
            try
            {
                inline = Convert.FromBase64String(ApiRequest.RequiredString(dataInline, "objectData"));
            }
            catch (FormatException)
            {
                throw QueueError.Validation("Schema Validation Failed!\ndata/proposedUploadMethods/dataInline/objectData must be base64");
            }

            inline = inline.Length <= MaxInlineBytes ? inline : null;
        }

        var upload = await _queue.Store.RunAsync((db, _) =>
        {
            var doc = db.GetDocument("uploads", name) ?? new JObject
            {
                ["name"] = name, ["projectId"] = projectId, ["uploadId"] = uploadId, ["expires"] = QueueJson.Date(expires),
                ["blob"] = BlobStore.NewKey(), ["finished"] = false,
            };
            if ((string?)doc["uploadId"] != uploadId || (string?)doc["projectId"] != projectId || QueueJson.ParseDate(doc["expires"]) != expires)
            {
                throw QueueError.Conflict($"Object {name} is already being uploaded with other projectId, uploadId or expires");
            }

            if (doc["finished"]!.Value<bool>())
            {
                throw QueueError.Conflict($"Object {name} is already uploaded");
            }

            db.SaveDocument("uploads", name, doc);
            return doc;
        }, request.Aborted).ConfigureAwait(false);
        var blob = (string)upload["blob"]!;
        JObject method;
        if (inline is not null)
        {
            if (_queue.S3 is { } s3)
            {
                await s3.PutAsync(blob, inline, inlineType!, request.Aborted).ConfigureAwait(false);
            }
            else
            {
                var length = await _queue.Blobs.WriteAsync(blob, PipeReader.Create(new MemoryStream(inline)), request.Aborted).ConfigureAwait(false);
                await _queue.Store.RunAsync((db, _) => { db.SaveBlob(blob, inlineType!, length); return true; }, request.Aborted).ConfigureAwait(false);
            }

            method = new JObject { ["dataInline"] = true };
        }
        else if (methods["putUrl"] is JObject putUrl)
        {
            var contentType = ApiRequest.RequiredString(putUrl, "contentType");
            var contentLength = putUrl["contentLength"]?.Value<long>() ?? throw QueueError.Validation("Schema Validation Failed!\ndata/proposedUploadMethods/putUrl must have required property 'contentLength'");
            var urlExpires = request.Now + UrlLifetime;
            method = new JObject
            {
                ["putUrl"] = new JObject
                {
                    ["url"] = _queue.BlobPutUrl(blob, contentType, urlExpires),
                    ["expires"] = QueueJson.Date(urlExpires),
                    ["headers"] = new JObject { ["Content-Type"] = contentType, ["Content-Length"] = contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                },
            };
        }
        else
        {
            method = [];
        }

        return ApiReply.Json(new JObject { ["projectId"] = projectId, ["uploadId"] = uploadId, ["expires"] = QueueJson.Date(expires), ["uploadMethod"] = method });
    }

    private async Task<ApiReply> FinishUploadAsync(ApiRequest request)
    {
        var name = request["name"];
        var body = request.Strict("projectId", "uploadId", "hashes");
        var projectId = ApiRequest.RequiredString(body, "projectId");
        var uploadId = ApiRequest.RequiredString(body, "uploadId");
        request.Authorize(new Dictionary<string, object> { ["projectId"] = projectId });
        var inBucket = false;
        if (_queue.S3 is { } s3)
        {
            var pending = await _queue.Store.RunAsync((db, _) => db.GetDocument("uploads", name), request.Aborted).ConfigureAwait(false);
            inBucket = pending?["blob"] is { } key && await s3.HeadAsync((string)key!, request.Aborted).ConfigureAwait(false) is not null;
        }

        await _queue.Store.RunAsync((db, _) =>
        {
            var doc = db.GetDocument("uploads", name) ?? throw QueueError.NotFound($"Object {name} not found");
            if ((string?)doc["uploadId"] != uploadId || (string?)doc["projectId"] != projectId)
            {
                throw QueueError.Conflict($"Object {name} has another uploadId or projectId");
            }

            if (!inBucket && db.GetBlob((string)doc["blob"]!) is null)
            {
                throw QueueError.Conflict($"No data was uploaded for object {name}");
            }

            doc["finished"] = true;
            if (body["hashes"] is JObject hashes)
            {
                doc["hashes"] = hashes;
            }

            db.SaveDocument("uploads", name, doc);
            return true;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject());
    }

    private async Task<ApiReply> StartDownloadAsync(ApiRequest request)
    {
        var name = request["name"];
        var accept = request.Strict("acceptDownloadMethods")["acceptDownloadMethods"] as JObject
            ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'acceptDownloadMethods'");
        var doc = await _queue.Store.RunAsync((db, _) => db.GetDocument("uploads", name), request.Aborted).ConfigureAwait(false);
        if (doc is null || doc["finished"]?.Value<bool>() != true)
        {
            throw QueueError.NotFound($"Object {name} not found");
        }

        var expires = request.Now + UrlLifetime;
        var url = _queue.BlobGetUrl((string)doc["blob"]!, expires);
        if (accept["getUrl"]?.Type == JTokenType.Boolean && (bool)accept["getUrl"]!)
        {
            return ApiReply.Json(new JObject { ["method"] = "getUrl", ["url"] = url, ["expires"] = QueueJson.Date(expires), ["hashes"] = doc["hashes"] ?? new JObject() });
        }

        if (accept["simple"]?.Type == JTokenType.Boolean && (bool)accept["simple"]!)
        {
            return ApiReply.Json(new JObject { ["method"] = "simple", ["url"] = url });
        }

        throw new QueueError(System.Net.HttpStatusCode.NotAcceptable, "NoMatchingMethod", "None of the accepted download methods is supported (simple, getUrl)");
    }
}
