// A worker binary assembled in code on the .NET Generic Host: the native engine and the env and
// success plugins come from their packages and are registered with AddTcWorker(), not found in plugin
// folders, and the worker runs as a hosted service. It runs one task against an in-process local
// queue and exits 0 when the task completed.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Hosting;
using TcWorker.Taskcluster;

var data = Directory.CreateTempSubdirectory("custom-worker-").FullName;
await using var queue = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = Path.Combine(data, "queue") });
var config = WorkerConfig.FromDocument(JObject.FromObject(new
{
    engine = "native",
    engines = new { native = new { createUser = false } },
    plugins = new { env = new { }, success = new { } },
    worker = new { workerPoolId = "custom/worker", workerGroup = "local", workerId = "custom-1", capacity = 1, numberOfTasksToRun = 1, minimumDiskSpace = 0 },
    rootUrl = queue.RootUrl,
    credentials = new { clientId = queue.RootCredentials.ClientId, accessToken = queue.RootCredentials.AccessToken },
    temporaryFolder = Path.Combine(data, "worker"),
}), "(in code)");

using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = queue.RootUrl, Credentials = queue.RootCredentials });
var taskId = Slugid.Nice();
var now = DateTimeOffset.UtcNow;
await client.Queue.CreateTaskAsync(taskId, JObject.FromObject(new
{
    provisionerId = "custom",
    workerType = "worker",
    created = now.ToString("O"),
    deadline = now.AddHours(1).ToString("O"),
    expires = now.AddDays(1).ToString("O"),
    metadata = new { name = "hello", description = "A task run by the custom worker", owner = "custom@localhost", source = "https://example.com/custom-worker" },
    payload = new { command = new[] { new[] { "sh", "-c", "echo \"hello from $GREETING\"" } }, env = new { GREETING = "a custom worker" } },
}));

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddTcWorker(options => options.IncludeDefaultPluginDirectory = false)
    .AddNativeEngine()
    .AddEnvPlugin()
    .AddSuccessPlugin()
    .AddHostedWorker(config);
using var host = builder.Build();
var outcome = host.Services.GetRequiredService<WorkerOutcome>();

// The host stops by itself once the worker has run its one task (numberOfTasksToRun).
await host.RunAsync();
if (outcome.ExitCode != 0)
{
    Console.Error.WriteLine($"the worker stopped with exit code {outcome.ExitCode}: {outcome.Error?.Message ?? outcome.Reason.ToString()}");
}

var run = (await client.Queue.StatusAsync(taskId)).Status.Runs.Last();
Console.WriteLine($"task {taskId}: {run.State}");
Directory.Delete(data, recursive: true);
return run.State == "completed" ? 0 : 1;
