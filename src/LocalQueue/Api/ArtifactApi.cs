using System.Globalization;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Api;

/// <summary>createArtifact, finishArtifact, listArtifacts, listLatestArtifacts, getArtifact and getLatestArtifact.</summary>
internal sealed class ArtifactApi
{
    private static readonly TimeSpan Drift = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan PutUrlLifetime = TimeSpan.FromMinutes(45);
    private static readonly TimeSpan ExceptionGrace = TimeSpan.FromMinutes(25);
    private static readonly string[] ErrorReasons = ["file-missing-on-worker", "invalid-resource-on-worker", "too-large-file-on-worker", "file-not-readable-on-worker"];
    private readonly QueueContext queue;

    public ArtifactApi(QueueContext queue) => this.queue = queue;

    public IEnumerable<Route> Routes()
    {
        var create = ScopeExpression.Single("queue:create-artifact:<taskId>/<runId>");
        var get = ScopeExpression.Parse("""{"AllOf": [{"each": "queue:get-artifact:<name>", "for": "name", "in": "names"}]}""");
        yield return new Route("POST", "task/<taskId>/runs/<runId>/artifacts/<*name>", "createArtifact", create, CreateAsync);
        yield return new Route("PUT", "task/<taskId>/runs/<runId>/artifacts/<*name>", "finishArtifact", create, FinishAsync);
        yield return new Route("GET", "task/<taskId>/runs/<runId>/artifacts", "listArtifacts", ScopeExpression.Single("queue:list-artifacts:<taskId>:<runId>"), r => ListAsync(r, r.RunId));
        yield return new Route("GET", "task/<taskId>/artifacts", "listLatestArtifacts", ScopeExpression.Single("queue:list-artifacts:<taskId>"), r => ListAsync(r, null));
        yield return new Route("GET", "task/<taskId>/runs/<runId>/artifacts/<*name>", "getArtifact", get, r => GetAsync(r, r.RunId), handlerAuthorizes: true);
        yield return new Route("GET", "task/<taskId>/artifacts/<*name>", "getLatestArtifact", get, r => GetAsync(r, null), handlerAuthorizes: true);
        yield return new Route("GET", "task/<taskId>/runs/<runId>/artifact-content/<*name>", "artifact", get, r => ContentAsync(r, r.RunId), handlerAuthorizes: true);
        yield return new Route("GET", "task/<taskId>/artifact-content/<*name>", "latestArtifact", get, r => ContentAsync(r, null), handlerAuthorizes: true);
        yield return new Route("GET", "task/<taskId>/runs/<runId>/artifact-info/<*name>", "artifactInfo", ScopeExpression.Single("queue:list-artifacts:<taskId>:<runId>"), r => InfoAsync(r, r.RunId));
        yield return new Route("GET", "task/<taskId>/artifact-info/<*name>", "latestArtifactInfo", ScopeExpression.Single("queue:list-artifacts:<taskId>"), r => InfoAsync(r, null));
    }

    private async Task<ApiReply> CreateAsync(ApiRequest request)
    {
        var (taskId, runId, name) = (request["taskId"], request.RunId, request["name"]);
        ArtifactName.CheckParameter(name);
        var body = request.Object;
        var storageType = ApiRequest.RequiredString(body, "storageType");
        var expires = ApiRequest.RequiredDate(body, "expires");
        var (contentType, details) = Describe(request, storageType, body);
        var reply = await queue.Store.RunAsync((db, _) =>
        {
            var task = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
            var run = task.Run(runId) ?? throw QueueError.NotFound($"Run {runId} of task {taskId} not found");
            CheckWritable(task, run, runId, request.Now);
            if (expires > task.Expires)
            {
                throw QueueError.Input($"Artifact expires ({QueueJson.Date(expires)}) after the task expiration {task.Task["expires"]} (task.expires < expires) - this is not allowed, artifacts may not expire after the task expiration");
            }

            if (expires < request.Now - Drift)
            {
                throw QueueError.Input("Artifact expires must not be in the past");
            }

            var existing = db.GetArtifact(taskId, runId, name);
            if (existing is not null)
            {
                CheckReplacement(existing, storageType, contentType, details, expires);
                details = storageType is "s3" or "object" ? existing.Details : details;
            }
            else if (storageType == "s3")
            {
                details = new JObject { ["blob"] = BlobStore.NewKey() };
            }

            if (storageType == "link")
            {
                CheckLink(db, taskId, runId, name, (string)details["artifact"]!);
            }

            var response = new JObject { ["storageType"] = storageType };
            if (storageType == "object")
            {
                details = existing?.Details ?? NewUpload(db, task, runId, name, expires, contentType);
                response["name"] = details["name"];
                response["projectId"] = details["projectId"];
                response["uploadId"] = details["uploadId"];
                response["expires"] = QueueJson.Date(expires);
                response["credentials"] = UploadCredentials(task, run, runId, (string)details["projectId"]!, (string)details["name"]!, expires, request.Now);
            }
            else if (storageType == "s3")
            {
                var putExpires = request.Now + PutUrlLifetime;
                response["putUrl"] = queue.BlobPutUrl((string)details["blob"]!, contentType, putExpires);
                response["expires"] = QueueJson.Date(putExpires);
                response["contentType"] = contentType;
            }

            var present = storageType != "object" || existing?.Present == true;
            db.SaveArtifact(new ArtifactRow(taskId, runId, name, storageType, contentType, QueueJson.Date(expires), details, present));
            return response;
        }, request.Aborted).ConfigureAwait(false);
        return ApiReply.Json(reply);
    }

    private async Task<ApiReply> FinishAsync(ApiRequest request)
    {
        var (taskId, runId, name) = (request["taskId"], request.RunId, request["name"]);
        var uploadId = ApiRequest.RequiredString(request.Strict("uploadId"), "uploadId");
        await queue.Store.RunAsync((db, _) =>
        {
            var artifact = db.GetArtifact(taskId, runId, name) ?? throw QueueError.NotFound($"Artifact {name} of run {runId} of task {taskId} not found");
            if (artifact.StorageType != "object")
            {
                throw QueueError.Input($"Artifact {name} has storageType {artifact.StorageType}; only object artifacts are finished");
            }

            if ((string?)artifact.Details["uploadId"] != uploadId)
            {
                throw QueueError.Conflict("uploadId does not match the artifact's upload");
            }

            var upload = db.GetDocument("uploads", (string)artifact.Details["name"]!);
            if (upload?["finished"]?.Value<bool>() != true)
            {
                throw QueueError.Conflict($"The upload of {name} is not finished (call the object service's finishUpload first)");
            }

            db.SaveArtifact(artifact with { Present = true });
            return true;
        }, request.Aborted).ConfigureAwait(false);
        return new ApiReply(204);
    }

    private async Task<ApiReply> ListAsync(ApiRequest request, int? runId)
    {
        var taskId = request["taskId"];
        var query = request.Context.Request.Query;
        var limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l is > 0 and <= 1000 ? l : 1000;
        var after = query["continuationToken"].ToString() is { Length: > 0 } token ? ContinuationToken.Decode(token) : string.Empty;
        var rows = await queue.Store.RunAsync((db, _) =>
        {
            var task = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
            var run = runId ?? (task.LastRun is { } last ? (int)last["runId"]! : throw QueueError.NotFound($"Task {taskId} has no runs"));
            if (task.Run(run) is null)
            {
                throw QueueError.NotFound($"Run {run} of task {taskId} not found");
            }

            return db.ListArtifacts(taskId, run, after, limit + 1);
        }, request.Aborted).ConfigureAwait(false);
        var result = new JObject
        {
            ["artifacts"] = new JArray(rows.Take(limit).Select(a => new JObject
            {
                ["storageType"] = a.StorageType,
                ["name"] = a.Name,
                ["expires"] = a.Expires,
                ["contentType"] = a.ContentType,
            })),
        };
        if (rows.Count > limit)
        {
            result["continuationToken"] = ContinuationToken.Encode(rows[limit - 1].Name);
        }

        return ApiReply.Json(result);
    }

    private async Task<ApiReply> GetAsync(ApiRequest request, int? runId)
    {
        var artifact = await FindAsync(request, runId, followLinks: true).ConfigureAwait(false);
        var headers = new Dictionary<string, string> { ["x-taskcluster-artifact-storage-type"] = artifact.StorageType };
        if (artifact.StorageType == "error")
        {
            return new ApiReply(424, new JObject { ["reason"] = artifact.Details["reason"], ["message"] = artifact.Details["message"] }, null, headers);
        }

        var url = artifact.StorageType == "reference"
            ? (string)artifact.Details["url"]!
            : queue.BlobGetUrl((string)artifact.Details["blob"]!, request.Now + PutUrlLifetime);
        return new ApiReply(303, new JObject { ["storageType"] = artifact.StorageType, ["url"] = url }, url, headers);
    }

    private async Task<ApiReply> ContentAsync(ApiRequest request, int? runId)
    {
        var artifact = await FindAsync(request, runId, followLinks: true).ConfigureAwait(false);
        var content = new JObject { ["storageType"] = artifact.StorageType };
        switch (artifact.StorageType)
        {
            case "error":
                content["reason"] = artifact.Details["reason"];
                content["message"] = artifact.Details["message"];
                break;
            case "reference":
                content["url"] = artifact.Details["url"];
                break;
            case "object":
                content["name"] = artifact.Details["name"];
                content["credentials"] = QueueContext.Serialize(queue.Root.CreateTemporary([$"object:download:{artifact.Details["name"]}"], request.Now, request.Now.AddHours(1)));
                break;
            default:
                content["url"] = queue.BlobGetUrl((string)artifact.Details["blob"]!, request.Now + PutUrlLifetime);
                break;
        }

        return ApiReply.Json(content);
    }

    private async Task<ApiReply> InfoAsync(ApiRequest request, int? runId)
    {
        var artifact = await FindAsync(request, runId, followLinks: false).ConfigureAwait(false);
        return ApiReply.Json(new JObject { ["storageType"] = artifact.StorageType, ["name"] = artifact.Name, ["expires"] = artifact.Expires, ["contentType"] = artifact.ContentType });
    }

    /// <summary>
    /// The present artifact of the run (the latest when <paramref name="runId"/> is null), after
    /// links when asked; 404 otherwise. Following links, the caller must hold
    /// <c>queue:get-artifact:</c> for every name along the chain, as the real queue checks: a
    /// public link must not hand out a private artifact.
    /// </summary>
    private async Task<ArtifactRow> FindAsync(ApiRequest request, int? runId, bool followLinks)
    {
        var (taskId, name) = (request["taskId"], request["name"]);
        if (request.Route.HandlerAuthorizes)
        {
            request.Authorize(new Dictionary<string, object> { ["names"] = new[] { name } });
        }

        var (found, names) = await queue.Store.RunAsync((db, _) =>
        {
            var task = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
            var run = runId ?? (task.LastRun is { } last ? (int)last["runId"]! : throw QueueError.NotFound($"Task {taskId} has no runs"));
            var chain = new List<string> { name };
            var found = db.GetArtifact(taskId, run, name);
            for (var hops = 0; followLinks && found is { StorageType: "link", Present: true } && hops < 10; hops++)
            {
                var target = (string)found.Details["artifact"]!;
                chain.Add(target);
                found = db.GetArtifact(taskId, run, target);
            }

            return (found, chain);
        }, request.Aborted).ConfigureAwait(false);
        if (names.Count > 1 && request.Route.HandlerAuthorizes)
        {
            request.Authorize(new Dictionary<string, object> { ["names"] = names });
        }

        return found is { Present: true } ? found : throw QueueError.NotFound($"Artifact {name} not found");
    }

    private static (string ContentType, JObject Details) Describe(ApiRequest request, string storageType, JObject body)
    {
        switch (storageType)
        {
            case "s3" or "object":
                request.Strict("storageType", "expires", "contentType", "contentLength");
                ApiRequest.RequiredString(body, "contentType");
                ApiRequest.Integer(body["contentLength"], "data/contentLength", 0);
                return (ContentType(body)!, []);
            case "reference":
                request.Strict("storageType", "expires", "url", "contentType");
                var url = ApiRequest.RequiredString(body, "url");
                if (!IsHttpUrl(url))
                {
                    // the URL becomes a Location header: no control characters, and nothing a browser would run
                    throw QueueError.Validation("Schema Validation Failed!\ndata/url must be an absolute http or https URL of printable ASCII characters without spaces");
                }

                return (ContentType(body) ?? "application/binary", new JObject { ["url"] = url });
            case "link":
                request.Strict("storageType", "expires", "artifact", "contentType");
                var target = ApiRequest.RequiredString(body, "artifact");
                ArtifactName.CheckField("data/artifact", target);
                return (ContentType(body) ?? "application/binary", new JObject { ["artifact"] = target });
            case "error":
                request.Strict("storageType", "expires", "reason", "message");
                var reason = ApiRequest.RequiredString(body, "reason");
                var message = ApiRequest.RequiredString(body, "message");
                if (!ErrorReasons.Contains(reason) || message.Length > 4096)
                {
                    throw QueueError.Validation("Schema Validation Failed!\ndata/reason must be one of " + string.Join(", ", ErrorReasons) + " and data/message at most 4096 characters");
                }

                return ("application/binary", new JObject { ["reason"] = reason, ["message"] = message });
            default:
                throw QueueError.Validation($"Schema Validation Failed!\ndata/storageType `{storageType}` must be one of s3, object, reference, link, error");
        }
    }

    private static string? ContentType(JObject body) => ApiRequest.String(body["contentType"], "data/contentType", 255);

    private static bool IsHttpUrl(string url) =>
        url.All(c => c is > ' ' and < '\x7f')
        && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0;

    private static void CheckWritable(TaskEntry task, JObject run, int runId, DateTimeOffset now)
    {
        var state = (string)run["state"]!;
        if (state == "running")
        {
            return;
        }

        if (state == "exception" && QueueJson.TryParseDate(run["resolved"], out var resolved) && resolved + ExceptionGrace > now)
        {
            return;
        }

        throw QueueError.Conflict($"Artifacts cannot be created for run {runId} of task {task.TaskId}: it is {state}; only running runs, or runs resolved as exception less than 25 minutes ago, take artifacts");
    }

    private static void CheckReplacement(ArtifactRow existing, string storageType, string contentType, JObject details, DateTimeOffset expires)
    {
        var allowedChange = existing.StorageType == "reference" && storageType is "reference" or "link";
        var same = existing.StorageType == storageType && existing.ContentType == contentType
            && (storageType is "s3" or "object" || JToken.DeepEquals(existing.Details, details));
        if (!allowedChange && !same)
        {
            throw QueueError.Conflict($"Artifact {existing.Name} already exists with different storageType or values");
        }

        if (!allowedChange && expires < QueueJson.ParseDate(existing.Expires))
        {
            throw QueueError.Conflict($"Artifact {existing.Name} already exists with a later expiry; expires may only be extended");
        }
    }

    private static void CheckLink(QueueDatabase db, string taskId, int runId, string name, string target)
    {
        for (var hops = 0; hops < 100; hops++)
        {
            if (target == name)
            {
                throw QueueError.Input($"Link artifact {name} would create a cycle");
            }

            var next = db.GetArtifact(taskId, runId, target);
            if (next is null || next.StorageType != "link")
            {
                return;
            }

            target = (string)next.Details["artifact"]!;
        }
    }

    private static JObject NewUpload(QueueDatabase db, TaskEntry task, int runId, string name, DateTimeOffset expires, string contentType)
    {
        var objectName = $"t/{task.TaskId}/{runId.ToString(CultureInfo.InvariantCulture)}/{name}";
        var upload = new JObject
        {
            ["name"] = objectName,
            ["projectId"] = task.Task["projectId"],
            ["uploadId"] = TcWorker.Taskcluster.Slugid.Nice(),
            ["expires"] = QueueJson.Date(expires),
            ["contentType"] = contentType,
            ["blob"] = BlobStore.NewKey(),
            ["finished"] = false,
        };
        db.SaveDocument("uploads", objectName, upload);
        return new JObject { ["name"] = objectName, ["projectId"] = upload["projectId"], ["uploadId"] = upload["uploadId"], ["blob"] = upload["blob"] };
    }

    private JObject UploadCredentials(TaskEntry task, JObject run, int runId, string projectId, string objectName, DateTimeOffset expires, DateTimeOffset now)
    {
        var name = $"artifact-upload/{task.TaskId}/{runId.ToString(CultureInfo.InvariantCulture)}/on/{run["workerGroup"]}/{run["workerId"]}";
        var expiry = expires < now.AddDays(1) ? expires : now.AddDays(1);
        return QueueContext.Serialize(queue.Root.CreateTemporary([$"object:upload:{projectId}:{objectName}"], now, expiry, name));
    }
}
