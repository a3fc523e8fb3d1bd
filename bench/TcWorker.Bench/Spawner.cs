using System.Diagnostics;

namespace TcWorker.Bench;

/// <summary>The raw baselines: the same processes a task runs, spawned from a minimal C# loop with no worker.</summary>
internal static class Spawner
{
    public static ProcessStartInfo Info(params string[] argv)
    {
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>Process.Start to exit, output read to the end, in milliseconds.</summary>
    public static async Task<double> TimeOnceAsync(params string[] argv)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(Info(argv))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>Process.Start to exit, in milliseconds; throws when the process exits non-zero.</summary>
    public static async Task<double> TimeCheckedAsync(params string[] argv)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(Info(argv))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        var elapsed = watch.Elapsed.TotalMilliseconds;
        return process.ExitCode == 0 ? elapsed : throw new InvalidOperationException($"{argv[0]} exited with {process.ExitCode}: {await stderr}");
    }

    /// <summary>Spawns the process <paramref name="count"/> times, <paramref name="parallelism"/> at a time; returns processes per second.</summary>
    public static async Task<double> RateAsync(int count, int parallelism, params string[] argv)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (_, _) => await TimeOnceAsync(argv));
        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>VmRSS of a process, in MiB.</summary>
    public static double RssMiB(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>The processes whose command line contains a marker (a unique argument).</summary>
    public static IReadOnlyList<int> ProcessesWith(string marker) => TcWorker.Engines.Testing.HostProcesses.WithCommandLine(marker);
}
