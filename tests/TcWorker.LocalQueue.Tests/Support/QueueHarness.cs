using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests.Support;

/// <summary>A local queue on a free loopback port in a fresh data folder, and clients for it.</summary>
internal sealed class QueueHarness : IAsyncDisposable
{
    public const string QueueId = "local-prov/test-wt";
    public const string WorkerClientId = "worker/test";
    public const string WorkerClientToken = "worker-token-0123456789abcdefghijklmnopqrstu";

    private TaskclusterClient baseClient;

    private QueueHarness(LocalQueueServer server, string dataFolder, LocalQueueOptions options)
    {
        Server = server;
        DataFolder = dataFolder;
        Options = options;
        baseClient = NewBase(server);
        Root = Client(server.RootCredentials);
    }

    public LocalQueueServer Server { get; private set; }

    public string DataFolder { get; }

    public LocalQueueOptions Options { get; }

    public TaskclusterClient Root { get; private set; }

    public static async Task<QueueHarness> StartAsync(Func<LocalQueueOptions, LocalQueueOptions>? configure = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "lq-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var clientsFile = Path.Combine(folder, "clients.json");
        await File.WriteAllTextAsync(clientsFile, new JArray(
            new JObject { ["clientId"] = WorkerClientId, ["accessToken"] = WorkerClientToken, ["scopes"] = new JArray($"queue:claim-work:{QueueId}", "queue:worker-id:wg/*") },
            new JObject { ["clientId"] = "nobody", ["accessToken"] = WorkerClientToken, ["scopes"] = new JArray() }).ToString());
        var options = new LocalQueueOptions
        {
            DataFolder = Path.Combine(folder, "data"),
            RootClientId = "static/test-root",
            RootAccessToken = "root-token-0123456789abcdefghijklmnopqrstuvw",
            ClientsFile = clientsFile,
            ClaimWorkWait = TimeSpan.FromSeconds(5),
        };
        options = configure?.Invoke(options) ?? options;
        var server = await LocalQueueServer.StartAsync(options);
        return new QueueHarness(server, folder, options);
    }

    /// <summary>A client with these credentials (null: anonymous), sharing one HTTP client.</summary>
    public TaskclusterClient Client(TaskclusterCredentials? credentials) => baseClient.WithCredentials(credentials);

    public TaskclusterClient Worker => Client(new TaskclusterCredentials(WorkerClientId, WorkerClientToken));

    /// <summary>Adds a permanent client with these scopes to the clients file, restarts the server to load it, and returns a client with its credentials.</summary>
    public async Task<TaskclusterClient> AddClientAsync(string clientId, params string[] scopes)
    {
        var token = clientId.Replace('/', '-') + "-token-0123456789abcdefghijklmnopqrstuvw";
        var clients = JArray.Parse(await File.ReadAllTextAsync(Options.ClientsFile!));
        clients.Add(new JObject { ["clientId"] = clientId, ["accessToken"] = token, ["scopes"] = new JArray(scopes) });
        await File.WriteAllTextAsync(Options.ClientsFile!, clients.ToString());
        await RestartAsync();
        return Client(new TaskclusterCredentials(clientId, token));
    }

    /// <summary>Stops the server and starts a new one on the same data folder (and a new port).</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        baseClient.Dispose();
        Server = await LocalQueueServer.StartAsync(Options);
        baseClient = NewBase(Server);
        Root = Client(Server.RootCredentials);
    }

    public static string NewTaskId() => Slugid.Nice();

    public static JObject Task(Action<JObject>? change = null, DateTimeOffset? now = null)
    {
        var created = now ?? DateTimeOffset.UtcNow;
        var task = new JObject
        {
            ["taskQueueId"] = QueueId,
            ["created"] = created.ToString("O"),
            ["deadline"] = created.AddHours(1).ToString("O"),
            ["payload"] = new JObject { ["command"] = new JArray("true") },
            ["metadata"] = new JObject { ["name"] = "t", ["description"] = "d", ["owner"] = "me@example.com", ["source"] = "https://example.com" },
        };
        change?.Invoke(task);
        return task;
    }

    public async Task<string> CreateAsync(Action<JObject>? change = null)
    {
        var taskId = NewTaskId();
        await Root.Queue.CreateTaskAsync(taskId, Task(change));
        return taskId;
    }

    public Task<ClaimWorkResponse> ClaimAsync(int tasks = 1, string workerId = "w1", TaskclusterClient? client = null) =>
        (client ?? Root).Queue.ClaimWorkAsync(QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = workerId, Tasks = tasks });

    public static async Task<TaskclusterException> FailsAsync(HttpStatusCode status, string code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<TaskclusterException>(call);
        Assert.True(status == e.StatusCode && code == e.Code, $"expected {(int)status} {code}, got {(int?)e.StatusCode} {e.Code}: {e.Message}");
        return e;
    }

    public async ValueTask DisposeAsync()
    {
        baseClient.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static TaskclusterClient NewBase(LocalQueueServer server) =>
        new(new TaskclusterClientOptions { RootUrl = server.RootUrl, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(60) });
}
