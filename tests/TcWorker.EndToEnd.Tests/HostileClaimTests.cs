using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// A queue other than the local one hands out hostile task definitions: a front on loopback that
/// passes every call through to a real local queue (which trusts it as a proxy, so Hawk signatures
/// made for the front's port verify) and, in claimWork responses, swaps the definitions of marked
/// tasks for a payload nested 10,000 levels deep or a 50 MB definition.
/// </summary>
public sealed class HostileClaimTests
{
    private const string Deep = """{"hostile":"deep"}""";
    private const string Huge = """{"hostile":"huge"}""";

    [Fact]
    public async Task A_deeply_nested_and_a_50_MB_definition_resolve_malformed_payload_while_the_rest_of_the_claim_runs()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-hostile-").FullName;
        await using var queue = await LocalQueueServer.StartAsync(new LocalQueueOptions
        {
            DataFolder = Path.Combine(folder, "queue"),
            RootClientId = "static/hostile-root",
            RootAccessToken = "hostile-root-token-0123456789abcdefghijklmnop",
            ClaimWorkWait = TimeSpan.FromSeconds(1),
            TrustedProxies = [IPAddress.Loopback],
        });
        var claimSizes = new List<int>();
        await using var front = await QueueFront.StartAsync(queue.RootUrl, bytes => Task.FromResult(Rewrite(bytes, claimSizes)));
        using var client = new Taskcluster.TaskclusterClient(new Taskcluster.TaskclusterClientOptions { RootUrl = queue.RootUrl, Credentials = queue.RootCredentials });
        var first = await CreateAsync(client, new JObject { ["command"] = new JArray { new JArray("true") } });
        var deep = await CreateAsync(client, JToken.Parse(Deep));
        var huge = await CreateAsync(client, JToken.Parse(Huge));
        var second = await CreateAsync(client, new JObject { ["command"] = new JArray { new JArray("true") } });

        using var lifetime = new WorkerLifetime();
        var config = new JObject
        {
            ["engine"] = "native",
            ["plugins"] = new JObject { ["success"] = new JObject() },
            ["worker"] = new JObject
            {
                ["workerPoolId"] = Deployment.WorkerPoolId, ["workerGroup"] = "hostile", ["workerId"] = "hostile-1",
                ["capacity"] = 4, ["numberOfTasksToRun"] = 5, ["minimumDiskSpace"] = 0,
            },
            ["rootUrl"] = front.RootUrl,
            ["credentials"] = new JObject { ["clientId"] = "static/hostile-root", ["accessToken"] = "hostile-root-token-0123456789abcdefghijklmnop" },
            ["temporaryFolder"] = Path.Combine(folder, "worker"),
        };
        using var log = new LineLog();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        var worker = Task.Run(() => WorkerHost.RunAsync(WorkerConfig.FromDocument(config, "hostile"), Deployment.Registry, lifetime, loggerFactory));
        try
        {
            foreach (var (taskId, state) in new[] { (first, "completed"), (deep, "exception"), (huge, "exception"), (second, "completed") })
            {
                var run = await WaitResolvedAsync(client, taskId, log);
                Assert.Equal(state, run.State);
                if (state == "exception")
                {
                    Assert.Equal("malformed-payload", run.ReasonResolved);
                }
            }

            // One claimWork response carried all four, and the worker carries on claiming.
            lock (claimSizes)
            {
                Assert.Contains(4, claimSizes);
            }
            var after = await CreateAsync(client, new JObject { ["command"] = new JArray { new JArray("true") } });
            Assert.Equal("completed", (await WaitResolvedAsync(client, after, log)).State);
            Assert.Equal(WorkerStopReason.TaskLimitReached, await worker.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            lifetime.StopNow();
            await worker.ContinueWith(_ => { }, TaskScheduler.Default);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> CreateAsync(Taskcluster.TaskclusterClient client, JToken payload)
    {
        var taskId = Taskcluster.Slugid.Nice();
        var now = DateTimeOffset.UtcNow;
        await client.Queue.CreateTaskAsync(taskId, new JObject
        {
            ["taskQueueId"] = Deployment.WorkerPoolId,
            ["created"] = now.ToString("O"),
            ["deadline"] = now.AddHours(1).ToString("O"),
            ["payload"] = payload,
            ["metadata"] = new JObject { ["name"] = "hostile", ["description"] = "hostile", ["owner"] = "e2e@example.com", ["source"] = "https://example.com/e2e" },
        });
        return taskId;
    }

    private static async Task<Taskcluster.TaskRun> WaitResolvedAsync(Taskcluster.TaskclusterClient client, string taskId, LineLog log)
    {
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = (await client.Queue.StatusAsync(taskId)).Status;
            if (status.Runs.Count > 0 && status.Runs[^1].Resolved is not null)
            {
                return status.Runs[^1];
            }

            Assert.True(DateTimeOffset.UtcNow < until, $"task {taskId} was not resolved; it is {status.State}; the worker logged:\n{log}");
            await Task.Delay(100);
        }
    }

    /// <summary>What the front does to a claimWork response: notes how many tasks it carries and swaps the marked payloads.</summary>
    private static byte[] Rewrite(byte[] bytes, List<int> claimSizes)
    {
        // Dates stay the strings the queue wrote.
        var json = Newtonsoft.Json.JsonConvert.DeserializeObject<JObject>(Encoding.UTF8.GetString(bytes), new Newtonsoft.Json.JsonSerializerSettings { DateParseHandling = Newtonsoft.Json.DateParseHandling.None })!;
        lock (claimSizes)
        {
            claimSizes.Add(((JArray)json["tasks"]!).Count);
        }

        var text = json.ToString(Newtonsoft.Json.Formatting.None);
        text = text.Replace(Deep, new string('[', 10_000) + new string(']', 10_000), StringComparison.Ordinal);
        text = text.Replace(Huge, "{\"command\":[[\"true\"]],\"filler\":\"" + new string('x', 50 * 1024 * 1024) + "\"}", StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The worker's log lines, shown when a task is not resolved in time.</summary>
    private sealed class LineLog : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            lines.Enqueue(line.Length > 500 ? line[..500] : line);
        }

        public override string ToString() => string.Join("\n", lines.TakeLast(60));

        public void Dispose()
        {
        }
    }
}
