using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.LocalQueue.Api;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Storage;
using TcWorker.LocalQueue.Ui;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue;

/// <summary>
/// A Taskcluster-compatible queue on Kestrel: the worker- and author-facing Queue API, the
/// object service calls object artifacts need and the index service, with Hawk authentication,
/// per-claim temporary credentials and SQLite state that survives restarts. Start it with <see cref="StartAsync"/>;
/// dispose it to stop. Thread-safe.
/// </summary>
public sealed partial class LocalQueueServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly QueueStore store;
    private readonly S3ArtifactStore? s3;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task maintenance;
    private readonly string? deleteOnDispose;
    private int disposed;

    private LocalQueueServer(WebApplication app, QueueStore store, S3ArtifactStore? s3, Task maintenance, CancellationTokenSource stopping, string rootUrl, TaskclusterCredentials root, string dataFolder, string? deleteOnDispose)
    {
        this.app = app;
        this.store = store;
        this.s3 = s3;
        this.maintenance = maintenance;
        this.stopping = stopping;
        RootUrl = rootUrl;
        RootCredentials = root;
        DataFolder = dataFolder;
        this.deleteOnDispose = deleteOnDispose;
    }

    /// <summary>The root URL to give Taskcluster clients, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string RootUrl { get; }

    /// <summary>The root client's credentials (scope <c>*</c>).</summary>
    public TaskclusterCredentials RootCredentials { get; }

    /// <summary>The folder holding the database and the artifact bytes.</summary>
    public string DataFolder { get; }

    /// <summary>Opens (or creates) the data folder and starts listening.</summary>
    /// <param name="options">The settings; null for the defaults.</param>
    /// <param name="loggerFactory">Where the server logs; null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="IOException">The port is taken or the data folder cannot be used.</exception>
    /// <exception cref="ArgumentException">A limit in <paramref name="options"/> is zero or negative, <see cref="LocalQueueOptions.TrustedProxies"/> is null, or <see cref="LocalQueueOptions.PayloadSchema"/> is not a JSON object.</exception>
    public static async Task<LocalQueueServer> StartAsync(LocalQueueOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalQueueOptions();
        Validate(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<LocalQueueServer>();
        var temporary = options.DataFolder is null ? Path.Combine(Path.GetTempPath(), "tc-local-queue-" + Guid.NewGuid().ToString("N")) : null;
        var dataFolder = Path.GetFullPath(options.DataFolder ?? temporary!);
        var store = new QueueStore(PrivateDataFolder.Prepare(dataFolder));
        S3ArtifactStore? s3 = null;
        WebApplication? app = null;
        try
        {
            var root = RootCredentialsFor(options, store.Database);
            var blobKey = store.Database.GetMeta("blob-key") ?? NewMeta(store.Database, "blob-key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            var stopping = new CancellationTokenSource();
            s3 = options.S3 is { } bucket ? new S3ArtifactStore(bucket) : null;
            var context = new QueueContext(options, store, new BlobStore(Path.Combine(dataFolder, "artifacts"), Convert.FromBase64String(blobKey)), s3, root, stopping.Token);
            var clients = new ClientRegistry(root, options.ClientsFile);
            var verifier = new HawkVerifier(clients.LookupAsync, options.TimeProvider);
            var services = new Dictionary<string, IReadOnlyList<Route>>
            {
                ["/api/queue/v1/"] = [.. new TaskApi(context).Routes(), .. new ClaimApi(context).Routes(), .. new ArtifactApi(context).Routes(), .. new ListingApi(context).Routes()],
                ["/api/object/v1/"] = [.. new ObjectApi(context).Routes()],
                ["/api/index/v1/"] = [.. new IndexApi(context).Routes()],
                ["/api/purge-cache/v1/"] = [.. new PurgeCacheApi().Routes()],
                ["/api/auth/v1/"] = [.. AuthApi.Routes()],
                ["/api/local/v1/"] = [.. new LocalApi(context).Routes()],
            };
            var dispatcher = new ApiDispatcher(services, verifier, options, logger);
            var blobs = new BlobEndpoint(context);

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            // A failed start is thrown to the caller; the host's own "failed to start" error, with its stack trace, is not logged as well.
            builder.Services.AddSingleton<ILoggerFactory>(new WithoutHostStartErrors(loggerFactory));
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            {
                k.Listen(options.ListenEndPoint);
                k.Limits.MaxRequestBodySize = null;
                k.Limits.MaxConcurrentConnections = options.MaxConnections;
                k.Limits.MaxConcurrentUpgradedConnections = 0;
                k.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;

                // PacedBodyReader holds every body to a rate that bytes sent ahead cannot satisfy
                k.Limits.MinRequestBodyDataRate = null;
                k.AddServerHeader = false;
            });
            app = builder.Build();
            var dashboard = new Dashboard();
            app.Run(http =>
            {
                var path = http.Request.Path;
                return path.StartsWithSegments("/__blobs", StringComparison.Ordinal) ? blobs.HandleAsync(http)
                    : ApiDispatcher.IsApiPath(path) ? dispatcher.HandleAsync(http)
                    : ShellPageEndpoint.Handles(path) ? ShellPageEndpoint.HandleAsync(http)
                    : dashboard.HandleAsync(http);
            });
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var port = new Uri(address).Port;
            var host = options.ListenEndPoint.Address.Equals(IPAddress.Any) || options.ListenEndPoint.Address.Equals(IPAddress.IPv6Any)
                ? "127.0.0.1"
                : options.ListenEndPoint.Address.ToString();
            if (options.ListenEndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && host != "127.0.0.1")
            {
                host = "[" + host + "]";
            }

            context.RootUrl = $"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
            var maintenance = MaintainAsync(context, logger, stopping.Token);
            LogStarted(logger, context.RootUrl, dataFolder, root.ClientId);
            if (options.S3 is { } artifactBucket)
            {
                LogS3(logger, artifactBucket.Bucket, artifactBucket.Endpoint);
            }

            return new LocalQueueServer(app, store, s3, maintenance, stopping, context.RootUrl, root, dataFolder, temporary);
        }
        catch
        {
            // Nothing of a failed start stays behind: not its listener, not a temporary data folder.
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            s3?.Dispose();
            store.Dispose();
            if (temporary is not null)
            {
                TryDeleteFolder(temporary);
            }

            throw;
        }
    }

    /// <summary>Stops listening, answers waiting claimWork calls with no tasks, lets running requests end, and closes the database. A temporary data folder is deleted. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        try
        {
            await maintenance.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        store.Dispose();
        s3?.Dispose();
        stopping.Dispose();
        if (deleteOnDispose is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(deleteOnDispose, recursive: true);
        }
    }

    /// <summary>The queue's logger factory, less the web host's own log of a failed start (which the caller gets as the exception).</summary>
    private sealed class WithoutHostStartErrors(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == "Microsoft.Extensions.Hosting.Internal.Host" ? NullLogger.Instance : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The caller's factory stays the caller's.
        }
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in the temporary folder; the start's own error is what the caller needs.
        }
    }

    private static void Validate(LocalQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.TrustedProxies, "options.TrustedProxies");
        ArgumentNullException.ThrowIfNull(options.AnonymousScopes, "options.AnonymousScopes");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConnections, "options.MaxConnections");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestHeadersTimeout, TimeSpan.Zero, "options.RequestHeadersTimeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestBodyTimeout, TimeSpan.Zero, "options.RequestBodyTimeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MinRequestBodyDataRateWindow, TimeSpan.Zero, "options.MinRequestBodyDataRateWindow");
        if (!double.IsFinite(options.MinRequestBodyDataRate) || options.MinRequestBodyDataRate < 0)
        {
            throw new ArgumentOutOfRangeException("options.MinRequestBodyDataRate", options.MinRequestBodyDataRate, "The minimum request body data rate must be zero or a positive number of bytes per second.");
        }
    }

    private static TaskclusterCredentials RootCredentialsFor(LocalQueueOptions options, QueueDatabase db)
    {
        // Never the ambient TASKCLUSTER_* credentials: a real deployment's token would sign the
        // temporary credentials this queue hands to tasks.
        var token = options.RootAccessToken ?? db.GetMeta("root-access-token") ?? NewMeta(db, "root-access-token", ClientRegistry.NewAccessToken());
        return new TaskclusterCredentials(options.RootClientId ?? "static/local-queue/root", token);
    }

    private static string NewMeta(QueueDatabase db, string key, string value)
    {
        db.SetMeta(key, value);
        return value;
    }

    private static async Task MaintainAsync(QueueContext context, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(context.Options.MaintenanceInterval, context.Options.TimeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var now = context.Options.TimeProvider.GetUtcNow();
                var changed = await context.Store.RunAsync((db, woken) => context.Tasks.Maintain(db, woken, now), cancellationToken).ConfigureAwait(false);
                var expired = await context.Store.RunAsync((db, _) => db.DeleteExpired(now), cancellationToken).ConfigureAwait(false);
                foreach (var blob in expired)
                {
                    if (context.S3 is { } s3)
                    {
                        await s3.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        context.Blobs.Delete(blob);
                    }
                }

                if (changed > 0)
                {
                    LogMaintained(logger, changed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogMaintenanceFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Local queue listening on {RootUrl} (data in {DataFolder}, root client {ClientId})")]
    private static partial void LogStarted(ILogger logger, string rootUrl, string dataFolder, string clientId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Artifacts are stored in bucket {Bucket} at {Endpoint}")]
    private static partial void LogS3(ILogger logger, string bucket, Uri endpoint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Resolved {Count} expired claims or tasks past their deadline")]
    private static partial void LogMaintained(ILogger logger, int count);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Checking claims and deadlines failed")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
