using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Webhooks;
using TcWorker.Runtime.Workers;
using TcWorker.Workers;

namespace TcWorker.Cli.Commands;

/// <summary>
/// A worker environment for commands that create the engine and plugins without running tasks
/// (<c>schema payload</c>): its temporary folder is a fresh one, removed afterwards.
/// </summary>
internal sealed class ThrowawayEnvironment : IAsyncDisposable
{
    private readonly TemporaryStorage storage;
    private readonly WebhookServer webhooks;
    private readonly WorkerLifetime lifetime;
    private readonly string root;

    private ThrowawayEnvironment(string root, TemporaryStorage storage, WebhookServer webhooks, WorkerLifetime lifetime, IWorkerEnvironment environment)
    {
        this.root = root;
        this.storage = storage;
        this.webhooks = webhooks;
        this.lifetime = lifetime;
        Environment = environment;
    }

    public IWorkerEnvironment Environment { get; }

    public static async Task<ThrowawayEnvironment> CreateAsync(WorkerConfig config, CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("tc-worker-").FullName;
        var storage = TemporaryStorage.Open(root);
        var webhooks = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance, cancellationToken).ConfigureAwait(false);
        var lifetime = new WorkerLifetime();
        var worker = config.Document["worker"];
        var identity = new WorkerIdentity(
            worker?.Value<string>("workerPoolId") ?? "local/worker",
            worker?.Value<string>("workerGroup") ?? "default",
            worker?.Value<string>("workerId") ?? "worker");
        var environment = new WorkerEnvironment(
            identity,
            config.Document.Value<string>("rootUrl") ?? "http://127.0.0.1",
            storage,
            webhooks,
            new GarbageCollector(() => long.MaxValue, 0),
            NullLoggerFactory.Instance,
            lifetime,
            TimeProvider.System);
        return new ThrowawayEnvironment(root, storage, webhooks, lifetime, environment);
    }

    public async ValueTask DisposeAsync()
    {
        await webhooks.DisposeAsync().ConfigureAwait(false);
        storage.Dispose();
        lifetime.Dispose();
        Directory.Delete(root, recursive: true);
    }
}
