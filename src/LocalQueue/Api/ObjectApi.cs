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
    private readonly QueueContext queue;

    public ObjectApi(QueueContext queue) => this.queue = queue;

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
        var (projectId, uploadId) = Identify(body);
        var expires = ApiRequest.RequiredDate(body, "expires");
        Hashes(body["hashes"]);
        var (inline, inlineType, put) = ProposedMethods(body);
        request.Authorize(new Dictionary<string, object> { ["projectId"] = projectId });
        var upload = await queue.Store.RunAsync((db, _) =>
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
            if (queue.S3 is { } s3)
            {
                await s3.PutAsync(blob, inline, inlineType!, request.Aborted).ConfigureAwait(false);
            }
            else
            {
                var length = await queue.Blobs.WriteAsync(blob, PipeReader.Create(new MemoryStream(inline)), request.Aborted).ConfigureAwait(false);
                await queue.Store.RunAsync((db, _) => { db.SaveBlob(blob, inlineType!, length); return true; }, request.Aborted).ConfigureAwait(false);
            }

            method = new JObject { ["dataInline"] = true };
        }
        else if (put is var (contentType, contentLength))
        {
            var urlExpires = request.Now + UrlLifetime;
            method = new JObject
            {
                ["putUrl"] = new JObject
                {
                    ["url"] = queue.BlobPutUrl(blob, contentType, urlExpires),
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
        var (projectId, uploadId) = Identify(body);
        var hashes = Hashes(body["hashes"]);
        request.Authorize(new Dictionary<string, object> { ["projectId"] = projectId });
        var inBucket = false;
        if (queue.S3 is { } s3)
        {
            var pending = await queue.Store.RunAsync((db, _) => db.GetDocument("uploads", name), request.Aborted).ConfigureAwait(false);
            inBucket = pending?["blob"] is { } key && await s3.HeadAsync((string)key!, request.Aborted).ConfigureAwait(false) is not null;
        }

        await queue.Store.RunAsync((db, _) =>
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
            if (hashes is not null)
            {
                doc["hashes"] = hashes;
            }

            db.SaveDocument("uploads", name, doc);
            return true;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(new JObject());
    }

    /// <summary>The proposed upload methods, checked: inline data (null when absent or over 8 KiB, so that putUrl is used) and putUrl's content type and length.</summary>
    private static (byte[]? Inline, string? InlineType, (string ContentType, long ContentLength)? Put) ProposedMethods(JObject body)
    {
        var methods = body["proposedUploadMethods"] is null
            ? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'proposedUploadMethods'")
            : ApiRequest.StrictObject(body["proposedUploadMethods"], "data/proposedUploadMethods", "dataInline", "putUrl");
        byte[]? inline = null;
        string? inlineType = null;
        if (methods["dataInline"] is { } dataInlineToken)
        {
            var dataInline = ApiRequest.StrictObject(dataInlineToken, "data/proposedUploadMethods/dataInline", "contentType", "objectData");
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

        (string ContentType, long ContentLength)? put = null;
        if (methods["putUrl"] is { } putUrlToken)
        {
            var putUrl = ApiRequest.StrictObject(putUrlToken, "data/proposedUploadMethods/putUrl", "contentType", "contentLength");
            put = (ApiRequest.RequiredString(putUrl, "contentType"),
                ApiRequest.Integer(putUrl["contentLength"], "data/proposedUploadMethods/putUrl/contentLength", 0)
                    ?? throw QueueError.Validation("Schema Validation Failed!\ndata/proposedUploadMethods/putUrl must have required property 'contentLength'"));
        }

        return (inline, inlineType, put);
    }

    /// <summary>The projectId and uploadId of an upload request, checked against the object service's patterns.</summary>
    private static (string ProjectId, string UploadId) Identify(JObject body)
    {
        var projectId = ApiRequest.RequiredString(body, "projectId");
        if (projectId.Length is 0 or > 500 || !TaskDefinition.IsProjectId(projectId))
        {
            throw QueueError.Validation($"Schema Validation Failed!\ndata/projectId {TcWorker.Taskcluster.TaskclusterIdentifiers.Quote(projectId)} must be 1 to 500 characters matching ^([a-zA-Z0-9._/-]*)$");
        }

        var uploadId = ApiRequest.RequiredString(body, "uploadId");
        TaskDefinition.CheckSlug("data/uploadId", uploadId);
        return (projectId, uploadId);
    }

    /// <summary>The hashes of an upload, checked as the object service's schema does: sha256 and sha512 as lower-case text of their length, other algorithms as given.</summary>
    private static JObject? Hashes(JToken? token)
    {
        if (token is null)
        {
            return null;
        }

        var hashes = token as JObject ?? throw QueueError.Validation("Schema Validation Failed!\ndata/hashes must be an object of {algorithm: hash}");
        foreach (var (algorithm, length) in new[] { ("sha256", 64), ("sha512", 128) })
        {
            if (hashes[algorithm] is { } hash && !(hash.Type == JTokenType.String && ((string)hash!).Length == length && ((string)hash!).All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c))))
            {
                throw QueueError.Validation($"Schema Validation Failed!\ndata/hashes/{algorithm} must be {length} lower-case letters or digits");
            }
        }

        return hashes;
    }

    private async Task<ApiReply> StartDownloadAsync(ApiRequest request)
    {
        var name = request["name"];
        var accept = request.Strict("acceptDownloadMethods")["acceptDownloadMethods"] as JObject
            ?? throw QueueError.Validation("Schema Validation Failed!\ndata must have required property 'acceptDownloadMethods'");
        var doc = await queue.Store.RunAsync((db, _) => db.GetDocument("uploads", name), request.Aborted).ConfigureAwait(false);
        if (doc is null || doc["finished"]?.Value<bool>() != true)
        {
            throw QueueError.NotFound($"Object {name} not found");
        }

        var expires = request.Now + UrlLifetime;
        var url = queue.BlobGetUrl((string)doc["blob"]!, expires);
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
