using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Webhooks;
using TcWorker.Runtime.Workers;
using TcWorker.Workers;

namespace TcWorker.Testing;

/// <summary>
/// A worker environment for tests, built from the runtime's own parts: temporary storage in a fresh
/// folder under the system's temporary folder, a webhook server on a free loopback port, a worker
/// lifetime, a garbage collector and a purge-cache service the test fills (<see cref="PurgeRequests"/>). Disposing it stops the webhook server and deletes the folder.
/// </summary>
public sealed class EngineTestEnvironment : IAsyncDisposable
{
    /// <summary>The root URL the environment and its tasks report; nothing listens there.</summary>
    public const string RootUrl = "http://taskcluster.invalid";

    private readonly TemporaryStorage storage;
    private readonly WebhookServer webhooks;
    private readonly WorkerLifetime lifetime;
    private readonly string folder;

    private EngineTestEnvironment(string folder, TemporaryStorage storage, WebhookServer webhooks, WorkerLifetime lifetime, ILoggerFactory loggerFactory, TimeProvider time)
    {
        this.folder = folder;
        this.storage = storage;
        this.webhooks = webhooks;
        this.lifetime = lifetime;
        Environment = new WorkerEnvironment(
            new WorkerIdentity("test-provisioner/test-worker-type", "test-group", "test-worker"),
            RootUrl,
            storage,
            webhooks,
            new GarbageCollector(() => long.MaxValue, 0),
            loggerFactory,
            lifetime,
            time)
        {
            PurgeRequests = PurgeRequests,
        };
    }

    /// <summary>The environment to hand to engine and plugin providers.</summary>
    public IWorkerEnvironment Environment { get; }

    /// <summary>The purge-cache service <see cref="Environment"/> offers (<see cref="IWorkerEnvironment.PurgeRequests"/>): add requests to it.</summary>
    public TestPurgeRequests PurgeRequests { get; } = new();

    /// <summary>The worker's lifetime: stop it to see how an engine or plugin reacts to a worker shutdown.</summary>
    public WorkerLifetime Lifetime => lifetime;

    /// <summary>Starts a fresh environment. The caller disposes it.</summary>
    /// <param name="loggerFactory">Where the worker's own logs go; none by default.</param>
    /// <param name="time">The clock engines and plugins see; the system clock by default.</param>
    /// <param name="cancellationToken">Gives up starting the webhook server.</param>
    /// <returns>The started environment.</returns>
    public static async Task<EngineTestEnvironment> CreateAsync(ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var folder = Path.Combine(Path.GetTempPath(), "tcw-kit-" + Guid.NewGuid().ToString("N")[..12]);
        var storage = TemporaryStorage.Open(folder);
        try
        {
            var webhooks = await WebhookServer.StartAsync(new WebhookServerOptions(), loggerFactory, cancellationToken).ConfigureAwait(false);
            return new EngineTestEnvironment(folder, storage, webhooks, new WorkerLifetime(), loggerFactory, time ?? TimeProvider.System);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>A new task context whose log is a file in this environment's storage.</summary>
    /// <returns>The context; dispose it to close its log.</returns>
    public TestTaskContext CreateTask() => new(storage.NewFilePath("task-log"));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        lifetime.StopNow();
        await webhooks.DisposeAsync().ConfigureAwait(false);
        storage.Dispose();
        lifetime.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Files a per-task user still holds; the system's temporary folder is cleaned eventually.
        }
    }
}
