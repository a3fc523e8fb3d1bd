using static TcWorker.Taskcluster.TaskclusterUrl;

namespace TcWorker.Taskcluster;

/// <summary>
/// The object service calls. Thread-safe. Methods throw <see cref="TaskclusterException"/> for
/// error responses and network errors after the last retry.
/// </summary>
public sealed class ObjectClient
{
    private const string Service = "object";
    private readonly TaskclusterClient client;

    internal ObjectClient(TaskclusterClient client)
    {
        this.client = client;
    }

    /// <summary>An object client signing with other credentials (e.g. createArtifact's upload credentials).</summary>
    public ObjectClient WithCredentials(TaskclusterCredentials? credentials) => client.WithCredentials(credentials).Object;

    /// <summary>Starts (or repeats) an upload; the response says which method to use.</summary>
    public Task<CreateUploadResponse> CreateUploadAsync(string name, CreateUploadRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync<CreateUploadResponse>(HttpMethod.Put, Service, $"/upload/{Escape(name)}", request, cancellationToken);

    /// <summary>Finishes an upload once the data is stored.</summary>
    public Task FinishUploadAsync(string name, FinishUploadRequest request, CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Post, Service, $"/finish-upload/{Escape(name)}", request, cancellationToken);

    /// <summary>Starts a download; the response has the URL to GET.</summary>
    public Task<StartDownloadResponse> StartDownloadAsync(string name, StartDownloadRequest? request = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<StartDownloadResponse>(HttpMethod.Put, Service, $"/start-download/{Escape(name)}", request ?? new StartDownloadRequest(), cancellationToken);
}
