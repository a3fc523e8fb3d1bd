// Full task lifecycles (createTask, claimWork, reportCompleted with the claim's credentials) per
// second against an in-process local queue, from concurrent clients over loopback HTTP.
// Usage: dotnet run -c Release --project bench/LocalQueueBench [-- <seconds> <clients>]
using System.Diagnostics;
using System.Globalization;
using TcWorker.Bench;
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
    await LifecycleLoad.RunAsync(root, clients, TimeSpan.FromSeconds(Math.Min(2, seconds / 5)));
    var watch = Stopwatch.StartNew();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var done = await LifecycleLoad.RunAsync(root, clients, TimeSpan.FromSeconds(seconds));
    var rate = done / watch.Elapsed.TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    // the CPU figure (server and clients together) tells more than the wall-clock one on a shared machine
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done} lifecycles in {watch.Elapsed.TotalSeconds:F1} s with {clients} clients on {Environment.ProcessorCount} cores: {rate:F0} lifecycles/s; {done / cpu:F0} per CPU-second ({cpu * 1000 / done:F2} ms CPU each)"));
}
finally
{
    Directory.Delete(folder, recursive: true);
}
