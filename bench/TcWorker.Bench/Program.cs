// Runs every figure of docs/benchmarks.md, each next to its raw baseline measured in the same run,
// and prints a table. Usage: dotnet run -c Release --project bench/TcWorker.Bench -- [--quick|--smoke] [--only NAME,NAME]
// (names: overhead, throughput, workercpu, floor, pickup, memory, startup, lifecycles, log, upload, job, growth, users, usercost, docker, mounts, proxy, shell, dashboard, fleet).
using System.Globalization;
using TcWorker.Bench;

var onlyAt = Array.IndexOf(args, "--only");
var only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
var unknown = only.Except(Suite.Figures).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown figure(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Suite.Figures)}");
    return 64;
}

var options = args.Contains("--smoke") ? BenchOptions.Smoke : args.Contains("--quick") ? BenchOptions.Quick : BenchOptions.Full;
Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Trim()}, .NET {Environment.Version}");
var (figures, errors) = await Suite.RunAsync(options, Console.WriteLine, only);
Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine();
Console.WriteLine("| figure | value | raw baseline | ratio | goal | met? |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var f in figures)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {f.Name} | {Stats.Format(f.Value)} {f.Unit} | {Stats.Format(f.Baseline)} {f.Unit} | {Stats.Format(f.Ratio)} | {f.Goal} | {(f.Goal == "-" ? "" : f.Met ? "yes" : "NO")} |"));
}

foreach (var error in errors)
{
    Console.Error.WriteLine("failed: " + error);
}

return errors.Count == 0 ? 0 : 1;
