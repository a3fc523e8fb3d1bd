using System.Diagnostics;
using System.Reflection;

namespace TcWorker.Cli.Tests;

/// <summary>Runs the real tc-worker binary from the CLI project's output.</summary>
internal static class TcWorkerProcess
{
    public static string Directory { get; } = typeof(TcWorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "TcWorkerCliDirectory").Value!;

    public static string Executable => Path.Combine(Directory, "tc-worker");

    public static string TestAssets { get; } = Path.Combine(AppContext.BaseDirectory, "TestAssets", "plugins");

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
