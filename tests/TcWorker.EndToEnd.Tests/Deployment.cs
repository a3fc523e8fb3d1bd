using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// A Taskcluster deployment on loopback: the real local queue in a fresh data folder, and workers
/// built from the stock binary's plugin folders, run in-process or as the real binary.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    public const string WorkerPoolId = "e2e/worker";

    private Deployment(string folder, LocalQueueOptions options, LocalQueueServer server)
    {
        Folder = folder;
        Options = options;
        Server = server;
        Client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.RootUrl, Credentials = server.RootCredentials });
    }

    public static string CliDirectory { get; } = Metadata("TcWorkerCliDirectory");

    public static string RepoRoot { get; } = Metadata("TcWorkerRepoRoot");

    public static string Executable => Path.Combine(CliDirectory, "tc-worker");

    internal static readonly Lazy<ComponentRegistry> StockRegistry = new(() =>
    {
        var services = new ServiceCollection();
        services.AddTcWorker(o =>
        {
            o.IncludeDefaultPluginDirectory = false;
            o.PluginDirectories.Add(Path.Combine(CliDirectory, "plugins"));
        });
        return services.BuildServiceProvider().GetRequiredService<ComponentRegistry>();
    });

    public string Folder { get; }

    public LocalQueueOptions Options { get; }

    public LocalQueueServer Server { get; private set; }

    public TaskclusterClient Client { get; private set; }

    public QueueClient Queue => Client.Queue;

    /// <param name="trustLoopbackProxies">Trust a front on loopback (<see cref="QueueFront"/>) to forward requests signed for its port.</param>
    public static async Task<Deployment> StartAsync(TimeSpan? claimTimeout = null, bool fixedPort = false, LocalQueueS3Options? s3 = null, bool trustLoopbackProxies = false)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-e2e-").FullName;
        var options = new LocalQueueOptions
        {
            DataFolder = Path.Combine(folder, "queue"),
            RootClientId = "static/e2e-root",
            RootAccessToken = "e2e-root-token-0123456789abcdefghijklmnopqr",
            ClaimTimeout = claimTimeout ?? TimeSpan.FromSeconds(1200),
            ClaimWorkWait = TimeSpan.FromSeconds(2),
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, fixedPort ? FreePort() : 0),
            S3 = s3,
            TrustedProxies = trustLoopbackProxies ? [IPAddress.Loopback] : [],
        };
        return new Deployment(folder, options, await LocalQueueServer.StartAsync(options));
    }

    /// <summary>Stops the queue, waits, and starts it again on the same data folder and port.</summary>
    public async Task RestartQueueAsync(TimeSpan downFor)
    {
        await Server.DisposeAsync();
        await Task.Delay(downFor);
        Server = await LocalQueueServer.StartAsync(Options);
    }

    public async Task<string> CreateTaskAsync(JObject payload, Action<JObject>? change = null)
    {
        var taskId = Slugid.Nice();
        var now = DateTimeOffset.UtcNow;
        var task = new JObject
        {
            ["taskQueueId"] = WorkerPoolId,
            ["created"] = now.ToString("O"),
            ["deadline"] = now.AddHours(1).ToString("O"),
            ["retries"] = 0,
            ["payload"] = payload,
            ["metadata"] = new JObject { ["name"] = "e2e", ["description"] = "e2e", ["owner"] = "e2e@example.com", ["source"] = "https://example.com/e2e" },
        };
        change?.Invoke(task);
        await Queue.CreateTaskAsync(taskId, task);
        return taskId;
    }

    public JObject Config(int tasks, int capacity = 1, Action<JObject>? worker = null)
    {
        var workerSection = new JObject
        {
            ["workerPoolId"] = WorkerPoolId,
            ["workerGroup"] = "e2e",
            ["workerId"] = "worker-" + Guid.NewGuid().ToString("N")[..8],
            ["capacity"] = capacity,
            ["numberOfTasksToRun"] = tasks,
            ["minimumDiskSpace"] = 0,   // tests need no free-space floor: a nearly full CI disk must not stall claims
        };
        worker?.Invoke(workerSection);
        return new JObject
        {
            ["engine"] = "native",
            ["engines"] = new JObject { ["native"] = new JObject { ["killGracePeriodSeconds"] = 1 } },
            ["plugins"] = new JObject { ["env"] = new JObject(), ["maxruntime"] = new JObject(), ["success"] = new JObject(), ["livelog"] = new JObject(), ["artifacts"] = new JObject() },
            ["worker"] = workerSection,
            ["rootUrl"] = Server.RootUrl,
            ["credentials"] = new JObject { ["clientId"] = Options.RootClientId, ["accessToken"] = Options.RootAccessToken },
            ["temporaryFolder"] = Path.Combine(Folder, "worker-" + Guid.NewGuid().ToString("N")[..8]),
        };
    }

    /// <summary>Runs a worker in-process until it stops by itself (numberOfTasksToRun) or is stopped.</summary>
    /// <param name="environment">What <c>{$env: NAME}</c> in the config reads; null: the process environment.</param>
    /// <param name="loggerFactory">The worker's logging; none when null.</param>
    public static Task<WorkerStopReason> RunWorkerAsync(JObject config, WorkerLifetime lifetime, Func<string, string?>? environment = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null) =>
        WorkerHost.RunAsync(WorkerConfig.FromDocument(config, "e2e", environment), Registry, lifetime, loggerFactory ?? NullLoggerFactory.Instance);

    /// <summary>The stock binary's engines and plugins, loaded from its plugin folders.</summary>
    public static ComponentRegistry Registry => StockRegistry.Value;

    public async Task<TaskStatusStructure> StatusAsync(string taskId) => (await Queue.StatusAsync(taskId)).Status;

    public async Task<TaskStatusStructure> WaitForAsync(string taskId, Func<TaskStatusStructure, bool> condition, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var status = await StatusAsync(taskId);
            if (condition(status))
            {
                return status;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                Assert.Fail($"task {taskId} did not reach the expected state; it is {status.State} with runs {string.Join(", ", status.Runs.Select(r => $"{r.State}/{r.ReasonResolved}"))}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The processes whose command line contains a marker (a unique argument).</summary>
    public static IReadOnlyList<int> ProcessesWith(string marker) => TcWorker.Engines.Testing.HostProcesses.WithCommandLine(marker);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var until = Stopwatch.StartNew();
        while (!condition())
        {
            if (until.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A unique "sleep" duration that marks a task's processes, e.g. 300.0123456.</summary>
    public static string SleepMarker() => "300." + Random.Shared.Next(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Metadata(string key) =>
        typeof(Deployment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
