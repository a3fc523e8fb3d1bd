using System.Globalization;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;
using static TcWorker.Taskcluster.TaskclusterUrl;

namespace TcWorker.Taskcluster;

/// <summary>
/// The queue calls a worker makes. Thread-safe. Every method throws
/// <see cref="TaskclusterException"/> for error responses and for network errors after the
/// last retry, and <see cref="OperationCanceledException"/> when its token is cancelled.
/// </summary>
public sealed class QueueClient
{
    private const string Service = "queue";
    private readonly TaskclusterClient client;

    internal QueueClient(TaskclusterClient client)
    {
        this.client = client;
    }

    /// <summary>The client this queue client sends with.</summary>
    public TaskclusterClient Client => client;

    /// <summary>A queue client signing with other credentials (e.g. a claim's), sharing the HTTP client.</summary>
    public QueueClient WithCredentials(TaskclusterCredentials? credentials) => client.WithCredentials(credentials).Queue;

    /// <summary>Claims up to <see cref="ClaimWorkRequest.Tasks"/> tasks; long-polls up to 20 s and then returns an empty list.</summary>
    /// <param name="taskQueueId"><c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>.</param>
    /// <param name="request">Worker identity and capacity.</param>
    /// <param name="cancellationToken">Cancels the long poll (the connection is closed).</param>
    /// <remarks>
    /// Each claimed task is read on its own: a task definition larger than 10 MB or nested deeper
    /// than 64 levels leaves the other claims intact and comes back with
    /// <see cref="TaskClaim.TaskDefinitionError"/> set.
    /// </remarks>
    public Task<ClaimWorkResponse> ClaimWorkAsync(string taskQueueId, ClaimWorkRequest request, CancellationToken cancellationToken = default) =>
        client.SendAsync(HttpMethod.Post, Service, $"/claim-work/{Escape(taskQueueId)}", request, signed: true, async (response, token) =>
        {
            await TaskclusterClient.EnsureSuccessAsync(response, token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            try
            {
                return ClaimWorkReader.Read(body);
            }
            catch (Exception e) when (e is Newtonsoft.Json.JsonException or System.Text.Json.JsonException)
            {
                throw new TaskclusterException($"POST queue claim-work returned {(int)response.StatusCode} with a body that is not the expected JSON: {e.Message}", response.StatusCode, "InvalidResponse", null, e);
            }
        }, cancellationToken);

    /// <summary>Extends a claim. Sign with the run's latest credentials, then switch to the returned ones. 409: the run is over; stop working on it.</summary>
    public Task<TaskReclaimResponse> ReclaimTaskAsync(string taskId, int runId, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskReclaimResponse>(HttpMethod.Post, Service, $"{RunPath(taskId, runId)}/reclaim", null, cancellationToken);

    /// <summary>Resolves a run as completed.</summary>
    public Task<TaskStatusResponse> ReportCompletedAsync(string taskId, int runId, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Post, Service, $"{RunPath(taskId, runId)}/completed", null, cancellationToken);

    /// <summary>Resolves a run as failed (the task's own code failed).</summary>
    public Task<TaskStatusResponse> ReportFailedAsync(string taskId, int runId, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Post, Service, $"{RunPath(taskId, runId)}/failed", null, cancellationToken);

    /// <summary>Resolves a run as exception with <paramref name="reason"/> (<c>worker-shutdown</c>, <c>malformed-payload</c>, <c>resource-unavailable</c>, <c>internal-error</c>, <c>intermittent-task</c>).</summary>
    public Task<TaskStatusResponse> ReportExceptionAsync(string taskId, int runId, string reason, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Post, Service, $"{RunPath(taskId, runId)}/exception", new TaskExceptionRequest { Reason = reason }, cancellationToken);

    /// <summary>Creates an artifact; for <c>object</c> and <c>s3</c> the response tells where to upload (see <see cref="ArtifactUploader"/>).</summary>
    public Task<CreateArtifactResponse> CreateArtifactAsync(string taskId, int runId, string name, CreateArtifactRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<CreateArtifactResponse>(HttpMethod.Post, Service, ArtifactPath(taskId, runId, name), request, cancellationToken);

    /// <summary>Marks an <c>object</c> artifact as uploaded (only then it exists). Not for other storage types (400).</summary>
    public Task FinishArtifactAsync(string taskId, int runId, string name, string uploadId, CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Put, Service, ArtifactPath(taskId, runId, name), new FinishArtifactRequest { UploadId = uploadId }, cancellationToken);

    /// <summary>One page of a run's artifacts.</summary>
    public Task<ListArtifactsResponse> ListArtifactsAsync(string taskId, int runId, string? continuationToken = null, int? limit = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<ListArtifactsResponse>(HttpMethod.Get, Service, $"{RunPath(taskId, runId)}/artifacts{Page(continuationToken, limit)}", null, cancellationToken);

    /// <summary>One page of the latest run's artifacts.</summary>
    public Task<ListArtifactsResponse> ListLatestArtifactsAsync(string taskId, string? continuationToken = null, int? limit = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<ListArtifactsResponse>(HttpMethod.Get, Service, $"/task/{Escape(taskId)}/artifacts{Page(continuationToken, limit)}", null, cancellationToken);

    /// <summary>Every artifact of a run (or of the latest run when <paramref name="runId"/> is null), following continuation tokens.</summary>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run, or null for the latest.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<ArtifactInfo> EnumerateArtifactsAsync(string taskId, int? runId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? continuationToken = null;
        do
        {
            var page = runId is { } run
                ? await ListArtifactsAsync(taskId, run, continuationToken, null, cancellationToken).ConfigureAwait(false)
                : await ListLatestArtifactsAsync(taskId, continuationToken, null, cancellationToken).ConfigureAwait(false);
            foreach (var artifact in page.Artifacts)
            {
                yield return artifact;
            }

            continuationToken = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuationToken));
    }

    /// <summary>Where to fetch a run's artifact: the redirect target, not followed.</summary>
    public Task<GetArtifactResponse> GetArtifactAsync(string taskId, int runId, string name, CancellationToken cancellationToken = default) =>
        GetRedirectAsync(ArtifactPath(taskId, runId, name), cancellationToken);

    /// <summary>Where to fetch the latest run's artifact: the redirect target, not followed.</summary>
    public Task<GetArtifactResponse> GetLatestArtifactAsync(string taskId, string name, CancellationToken cancellationToken = default) =>
        GetRedirectAsync($"/task/{Escape(taskId)}/artifacts/{Escape(name)}", cancellationToken);

    /// <summary>A bewit-signed getArtifact URL (unsigned without credentials); <paramref name="runId"/> null for the latest run.</summary>
    public Uri BuildSignedArtifactUrl(string taskId, int? runId, string name, TimeSpan lifetime) =>
        client.BuildSignedUrl(Service, runId is { } run ? ArtifactPath(taskId, run, name) : $"/task/{Escape(taskId)}/artifacts/{Escape(name)}", lifetime);

    /// <summary>The task definition.</summary>
    public Task<JObject> TaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        client.CallAsync<JObject>(HttpMethod.Get, Service, $"/task/{Escape(taskId)}", null, cancellationToken);

    /// <summary>The task's status.</summary>
    public Task<TaskStatusResponse> StatusAsync(string taskId, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Get, Service, $"/task/{Escape(taskId)}/status", null, cancellationToken);

    /// <summary>Creates a task from its definition.</summary>
    public Task<TaskStatusResponse> CreateTaskAsync(string taskId, JObject task, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Put, Service, $"/task/{Escape(taskId)}", task, cancellationToken);

    /// <summary>Cancels a task.</summary>
    public Task<TaskStatusResponse> CancelTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        client.CallAsync<TaskStatusResponse>(HttpMethod.Post, Service, $"/task/{Escape(taskId)}/cancel", null, cancellationToken);

    /// <summary>Declares a worker (sets its expiry); returns the worker-response structure.</summary>
    public Task<JObject> DeclareWorkerAsync(string provisionerId, string workerType, string workerGroup, string workerId, DeclareWorkerRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<JObject>(HttpMethod.Put, Service, $"/provisioners/{Escape(provisionerId)}/worker-types/{Escape(workerType)}/{Escape(workerGroup)}/{Escape(workerId)}", request, cancellationToken);

    /// <summary>Quarantines a worker (it gets no work until then); returns the worker-response structure.</summary>
    public Task<JObject> QuarantineWorkerAsync(string provisionerId, string workerType, string workerGroup, string workerId, QuarantineWorkerRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<JObject>(HttpMethod.Put, Service, $"/provisioners/{Escape(provisionerId)}/worker-types/{Escape(workerType)}/workers/{Escape(workerGroup)}/{Escape(workerId)}", request, cancellationToken);

    /// <summary>Pings the queue.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Get, Service, "/ping", null, cancellationToken);

    /// <summary>The queue's <c>__version__</c> document.</summary>
    public Task<JObject> VersionAsync(CancellationToken cancellationToken = default) =>
        client.CallAsync<JObject>(HttpMethod.Get, Service, "/__version__", null, cancellationToken);

    private static string RunPath(string taskId, int runId) =>
        $"/task/{Escape(taskId)}/runs/{runId.ToString(CultureInfo.InvariantCulture)}";

    private static string ArtifactPath(string taskId, int runId, string name) => $"{RunPath(taskId, runId)}/artifacts/{Escape(name)}";

    /// <summary>The query string of a list call's paging (empty when neither is given).</summary>
    internal static string Page(string? continuationToken, int? limit)
    {
        var query = new List<string>();
        if (continuationToken is not null)
        {
            query.Add("continuationToken=" + Escape(continuationToken));
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        return query.Count == 0 ? string.Empty : "?" + string.Join('&', query);
    }

    private Task<GetArtifactResponse> GetRedirectAsync(string path, CancellationToken cancellationToken) =>
        client.SendAsync(HttpMethod.Get, Service, path, null, signed: true, async (response, token) =>
        {
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var storageType = response.Headers.TryGetValues("x-taskcluster-artifact-storage-type", out var values) ? values.FirstOrDefault() : null;
                var body = TaskclusterJson.TryParseObject(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false));
                return new GetArtifactResponse
                {
                    StorageType = storageType ?? (string?)body?["storageType"] ?? string.Empty,
                    Url = location.IsAbsoluteUri ? location.OriginalString : new Uri(response.RequestMessage!.RequestUri!, location).AbsoluteUri,
                };
            }

            await TaskclusterClient.EnsureSuccessAsync(response, token).ConfigureAwait(false);
            return TaskclusterJson.Deserialize<GetArtifactResponse>(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false));
        }, cancellationToken);
}
