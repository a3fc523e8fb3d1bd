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

namespace TcWorker.Bench;

/// <summary>
/// The local queue on loopback in a fresh folder, and workers built from the stock binary's plugin
/// folders, run in-process or as the real binary.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string RootClientId = "static/bench-root";
    public const string RootAccessToken = "bench-root-token-0123456789abcdefghijklmnopqr";

    private static readonly Lazy<ComponentRegistry> StockRegistry = new(() =>
    {
        var services = new ServiceCollection();
        services.AddTcWorker(o =>
        {
            o.IncludeDefaultPluginDirectory = false;
            o.PluginDirectories.Add(Path.Combine(CliDirectory!, "plugins"));
        });
        return services.BuildServiceProvider().GetRequiredService<ComponentRegistry>();
    });

    private Harness(string folder, LocalQueueServer server)
    {
        Folder = folder;
        Server = server;
        Client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.RootUrl, Credentials = server.RootCredentials, MaxRetries = 0 });
    }

    /// <summary>The stock binary's folder: the published one bench/run.sh names (what a deployment runs), else the build output.</summary>
    public static string CliDirectory { get; } = Environment.GetEnvironmentVariable("TCWORKER_BENCH_CLI") is { Length: > 0 } published ? published : Metadata("TcWorkerCliDirectory");

    public static string Executable => Path.Combine(CliDirectory, "tc-worker");

    public static string HelloWorld => Path.Combine(Metadata("TcWorkerHelloWorldDirectory"), "hello-world");

    public string Folder { get; }

    public LocalQueueServer Server { get; }

    public TaskclusterClient Client { get; }

    /// <summary>Starts the local queue in a fresh folder, or on the data of <paramref name="queueFolder"/> (which the caller keeps).</summary>
    public static async Task<Harness> StartAsync(string? queueFolder = null)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-bench-").FullName;
        // traversable, so that throwaway task users (createUser) reach their task directories below it
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        var server = await LocalQueueServer.StartAsync(new LocalQueueOptions
        {
            DataFolder = queueFolder ?? Path.Combine(folder, "queue"),
            RootClientId = RootClientId,
            RootAccessToken = RootAccessToken,
        });
        return new Harness(folder, server);
    }

    public Task<string> CreateTaskAsync(string taskQueueId, params string[] command) =>
        CreateTaskAsync(taskQueueId, new JObject { ["command"] = new JArray { new JArray(command) }, ["maxRunTime"] = 600 });

    /// <summary>Creates a task with the given payload (say, a docker-worker one), its scopes and the tasks it depends on.</summary>
    public async Task<string> CreateTaskAsync(string taskQueueId, JObject payload, IReadOnlyList<string>? scopes = null, IReadOnlyList<string>? dependencies = null)
    {
        var taskId = Slugid.Nice();
        var now = DateTimeOffset.UtcNow;
        await Client.Queue.CreateTaskAsync(taskId, new JObject
        {
            ["taskQueueId"] = taskQueueId,
            ["created"] = now.ToString("O"),
            ["deadline"] = now.AddHours(1).ToString("O"),
            ["retries"] = 0,
            ["payload"] = payload,
            ["scopes"] = new JArray(scopes ?? []),
            ["dependencies"] = new JArray(dependencies ?? []),
            ["metadata"] = new JObject { ["name"] = "bench", ["description"] = "bench", ["owner"] = "bench@example.com", ["source"] = "https://example.com/bench" },
        });
        return taskId;
    }

    /// <summary>The stock worker config (native engine, the plugins that need no outside service).</summary>
    public JObject Config(string taskQueueId, int capacity, int? tasks = null, string? rootUrl = null, bool createUser = false)
    {
        var worker = new JObject
        {
            ["workerPoolId"] = taskQueueId,
            ["workerGroup"] = "bench",
            ["workerId"] = "worker-" + Guid.NewGuid().ToString("N")[..8],
            ["capacity"] = capacity,
            ["minimumDiskSpace"] = 0,
        };
        if (tasks is int n)
        {
            worker["numberOfTasksToRun"] = n;
        }

        return new JObject
        {
            ["engine"] = "native",
            ["engines"] = new JObject { ["native"] = new JObject { ["createUser"] = createUser } },
            ["plugins"] = new JObject { ["env"] = new JObject(), ["maxruntime"] = new JObject(), ["success"] = new JObject(), ["livelog"] = new JObject(), ["artifacts"] = new JObject() },
            ["worker"] = worker,
            ["rootUrl"] = rootUrl ?? Server.RootUrl,
            ["credentials"] = new JObject { ["clientId"] = RootClientId, ["accessToken"] = RootAccessToken },
            ["temporaryFolder"] = Path.Combine(Folder, "worker-" + Guid.NewGuid().ToString("N")[..8]),
        };
    }

    /// <summary>Runs a worker in-process until it stops by itself (numberOfTasksToRun) or is stopped.</summary>
    public static Task<WorkerStopReason> RunWorkerAsync(JObject config, WorkerLifetime lifetime) =>
        WorkerHost.RunAsync(WorkerConfig.FromDocument(config, "bench"), StockRegistry.Value, lifetime, NullLoggerFactory.Instance);

    public async Task<TaskStatusStructure> StatusAsync(string taskId) => (await Client.Queue.StatusAsync(taskId)).Status;

    /// <summary>The statuses of completed tasks; throws when one did not complete.</summary>
    public async Task<IReadOnlyList<TaskStatusStructure>> CompletedAsync(IEnumerable<string> taskIds)
    {
        var statuses = new List<TaskStatusStructure>();
        foreach (var taskId in taskIds)
        {
            var status = await StatusAsync(taskId);
            if (status.State != "completed")
            {
                throw new InvalidOperationException($"task {taskId} is {status.State} ({string.Join(", ", status.Runs.Select(r => $"{r.State}/{r.ReasonResolved}"))}); its log begins: {await LogStartAsync(taskId)}");
            }

            statuses.Add(status);
        }

        return statuses;
    }

    private async Task<string> LogStartAsync(string taskId)
    {
        try
        {
            using var http = new HttpClient();
            var text = await http.GetStringAsync(Client.Queue.BuildSignedArtifactUrl(taskId, null, "public/logs/live_backing.log", TimeSpan.FromMinutes(5)));
            return text.Length > 2000 ? text[..2000] : text;
        }
        catch (HttpRequestException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    /// <summary>Polls a task's status until it is resolved; every 2 ms unless <paramref name="poll"/> says otherwise.</summary>
    public async Task<TaskStatusStructure> WaitResolvedAsync(string taskId, TimeSpan timeout, TimeSpan? poll = null)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var status = await StatusAsync(taskId);
            if (status.State is "completed" or "failed" or "exception")
            {
                return status;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"task {taskId} is still {status.State}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(2));
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

    private static string Metadata(string key) =>
        typeof(Harness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
