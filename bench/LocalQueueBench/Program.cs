// Full task lifecycles (createTask, claimWork, reportCompleted with the claim's credentials) per
// second against an in-process local queue, from concurrent clients over loopback HTTP.
// Usage: dotnet run -c Release --project bench/LocalQueueBench [-- <seconds> <clients>]
using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Taskcluster;

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
var folder = Path.Combine(Path.GetTempPath(), "lq-bench-" + Guid.NewGuid().ToString("N"));
try
{
    await using var server = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = folder });
    using var root = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.RootUrl, Credentials = server.RootCredentials, MaxRetries = 0 });

    // warm up: JIT, connections, SQLite pages
    await RunAsync(root, clients, TimeSpan.FromSeconds(Math.Min(2, seconds / 5)));
    var watch = Stopwatch.StartNew();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var done = await RunAsync(root, clients, TimeSpan.FromSeconds(seconds));
    var rate = done / watch.Elapsed.TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    // the CPU figure (server and clients together) tells more than the wall-clock one on a shared machine
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done} lifecycles in {watch.Elapsed.TotalSeconds:F1} s with {clients} clients on {Environment.ProcessorCount} cores: {rate:F0} lifecycles/s; {done / cpu:F0} per CPU-second ({cpu * 1000 / done:F2} ms CPU each)"));
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static async Task<long> RunAsync(TaskclusterClient root, int clients, TimeSpan duration)
{
    long total = 0;
    var stopAt = DateTime.UtcNow + duration;
    await Task.WhenAll(Enumerable.Range(0, clients).Select(n => Task.Run(async () =>
    {
        var queueId = $"bench/wt-{n.ToString(CultureInfo.InvariantCulture)}";
        while (DateTime.UtcNow < stopAt)
        {
            var taskId = Slug();
            var now = DateTimeOffset.UtcNow;
            await root.Queue.CreateTaskAsync(taskId, new JObject
            {
                ["taskQueueId"] = queueId,
                ["created"] = now.ToString("O"),
                ["deadline"] = now.AddHours(1).ToString("O"),
                ["payload"] = new JObject(),
                ["metadata"] = new JObject { ["name"] = "bench", ["description"] = "bench", ["owner"] = "bench@example.com", ["source"] = "https://example.com" },
            }).ConfigureAwait(false);
            var claim = (await root.Queue.ClaimWorkAsync(queueId, new ClaimWorkRequest { WorkerGroup = "bench", WorkerId = "w" + n.ToString(CultureInfo.InvariantCulture) }).ConfigureAwait(false)).Tasks.Single();
            await root.WithCredentials(claim.Credentials).Queue.ReportCompletedAsync(claim.Status.TaskId, claim.RunId).ConfigureAwait(false);
            Interlocked.Increment(ref total);
        }
    }))).ConfigureAwait(false);
    return total;
}

static string Slug()
{
    var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
    bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
    bytes[0] &= 0x7f;
    return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
