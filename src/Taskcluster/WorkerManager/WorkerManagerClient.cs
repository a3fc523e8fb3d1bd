using Newtonsoft.Json.Linq;
using static TcWorker.Taskcluster.TaskclusterUrl;

namespace TcWorker.Taskcluster;

/// <summary>
/// The worker-manager calls a worker makes. Thread-safe. Methods throw
/// <see cref="TaskclusterException"/> for error responses and network errors after the last retry.
/// </summary>
public sealed class WorkerManagerClient
{
    private const string Service = "worker-manager";
    private readonly TaskclusterClient client;

    internal WorkerManagerClient(TaskclusterClient client)
    {
        this.client = client;
    }

    /// <summary>A worker-manager client signing with other credentials.</summary>
    public WorkerManagerClient WithCredentials(TaskclusterCredentials? credentials) => client.WithCredentials(credentials).WorkerManager;

    /// <summary>Registers a worker and returns its credentials. Always sent unsigned: the identity proof authenticates.</summary>
    public Task<RegisterWorkerResponse> RegisterWorkerAsync(RegisterWorkerRequest request, CancellationToken cancellationToken = default) =>
        client.CallJsonAsync<RegisterWorkerResponse>(HttpMethod.Post, Service, "/worker/register", request, signed: false, cancellationToken);

    /// <summary>Gets fresh credentials before the current ones expire.</summary>
    public Task<ReregisterWorkerResponse> ReregisterWorkerAsync(ReregisterWorkerRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<ReregisterWorkerResponse>(HttpMethod.Post, Service, "/worker/reregister", request, cancellationToken);

    /// <summary>Asks whether the worker should shut down.</summary>
    public Task<ShouldWorkerTerminateResponse> ShouldWorkerTerminateAsync(string workerPoolId, string workerGroup, string workerId, CancellationToken cancellationToken = default) =>
        client.CallAsync<ShouldWorkerTerminateResponse>(HttpMethod.Get, Service, $"{WorkerPath(workerPoolId, workerGroup, workerId)}/should-terminate", null, cancellationToken);

    /// <summary>Removes the worker (self-removal on shutdown).</summary>
    public Task RemoveWorkerAsync(string workerPoolId, string workerGroup, string workerId, CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Delete, Service, WorkerPath(workerPoolId, workerGroup, workerId), null, cancellationToken);

    /// <summary>Reports an error of the worker to its pool; returns the recorded worker-pool-error.</summary>
    public Task<JObject> ReportWorkerErrorAsync(string workerPoolId, ReportWorkerErrorRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<JObject>(HttpMethod.Post, Service, $"/worker-pool-errors/{Escape(workerPoolId)}", request, cancellationToken);

    private static string WorkerPath(string workerPoolId, string workerGroup, string workerId) =>
        $"/workers/{Escape(workerPoolId)}/{Escape(workerGroup)}/{Escape(workerId)}";
}
