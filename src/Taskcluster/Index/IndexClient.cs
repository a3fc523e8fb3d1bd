using static TcWorker.Taskcluster.TaskclusterUrl;

namespace TcWorker.Taskcluster;

/// <summary>
/// The index service: finds tasks by index path (dot-separated keys of
/// <c>[a-zA-Z0-9_!~*'()%-]</c>, e.g. <c>project.app.latest.linux64</c>) and indexes them. Thread-safe.
/// Every method throws <see cref="TaskclusterException"/> for error responses (404
/// <c>ResourceNotFound</c> when nothing unexpired is indexed at a path, 400 for a bad path) and for
/// network errors after the last retry, and <see cref="OperationCanceledException"/> when its
/// token is cancelled.
/// </summary>
public sealed class IndexClient
{
    private const string Service = "index";
    private readonly TaskclusterClient client;

    internal IndexClient(TaskclusterClient client)
    {
        this.client = client;
    }

    /// <summary>An index client signing with other credentials (null: anonymous), sharing the HTTP client.</summary>
    public IndexClient WithCredentials(TaskclusterCredentials? credentials) => client.WithCredentials(credentials).Index;

    /// <summary>The task at <paramref name="indexPath"/> (scope <c>index:find-task:&lt;indexPath&gt;</c>).</summary>
    public Task<IndexedTask> FindTaskAsync(string indexPath, CancellationToken cancellationToken = default) =>
        client.CallAsync<IndexedTask>(HttpMethod.Get, Service, TaskPath(indexPath), null, cancellationToken);

    /// <summary>
    /// Indexes a task at <paramref name="indexPath"/> (scope <c>index:insert-task:&lt;indexPath&gt;</c>);
    /// returns the task at the path afterwards, which is the one already there when its rank is higher.
    /// </summary>
    public Task<IndexedTask> InsertTaskAsync(string indexPath, InsertTaskRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<IndexedTask>(HttpMethod.Put, Service, TaskPath(indexPath), request, cancellationToken);

    /// <summary>Removes the entry at <paramref name="indexPath"/>, if any (scope <c>index:delete-task:&lt;indexPath&gt;</c>).</summary>
    public Task DeleteTaskAsync(string indexPath, CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Delete, Service, TaskPath(indexPath), null, cancellationToken);

    /// <summary>One page of the namespaces directly below <paramref name="ns"/> (empty: the root), at most <paramref name="limit"/> (1000).</summary>
    public Task<ListNamespacesResponse> ListNamespacesAsync(string ns, string? continuationToken = null, int? limit = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<ListNamespacesResponse>(HttpMethod.Get, Service, $"/namespaces/{Escape(ns)}{QueueClient.Page(continuationToken, limit)}", null, cancellationToken);

    /// <summary>One page of the tasks indexed directly in <paramref name="ns"/> (empty: the root), at most <paramref name="limit"/> (1000).</summary>
    public Task<ListIndexedTasksResponse> ListTasksAsync(string ns, string? continuationToken = null, int? limit = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<ListIndexedTasksResponse>(HttpMethod.Get, Service, $"/tasks/{Escape(ns)}{QueueClient.Page(continuationToken, limit)}", null, cancellationToken);

    /// <summary>
    /// The findArtifactFromTask URL of artifact <paramref name="name"/> of the task at
    /// <paramref name="indexPath"/>, bewit-signed for <paramref name="lifetime"/> (unsigned without
    /// credentials). A GET redirects (303) to the artifact of that task's latest run; the signer needs
    /// <c>queue:get-artifact:&lt;name&gt;</c>.
    /// </summary>
    public Uri BuildArtifactUrl(string indexPath, string name, TimeSpan lifetime) =>
        client.BuildSignedUrl(Service, $"{TaskPath(indexPath)}/artifacts/{Escape(name)}", lifetime);

    private static string TaskPath(string indexPath) => $"/task/{Escape(indexPath)}";
}
