using System.Diagnostics;

namespace TcWorker.LocalQueue.Tests.Support;

/// <summary>A local queue in a child process (tests/TcWorker.LocalQueue.Tests.Host), to be killed without warning.</summary>
internal sealed class QueueProcess : IDisposable
{
    private readonly Process process;

    private QueueProcess(Process process, string rootUrl)
    {
        this.process = process;
        RootUrl = rootUrl;
    }

    public string RootUrl { get; }

    public static async Task<QueueProcess> StartAsync(string dataFolder, string clientId, string accessToken)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "TcWorker.LocalQueue.Tests.Host.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { host, dataFolder, clientId, accessToken })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new InvalidOperationException("The queue host did not start: " + line);
        }

        return new QueueProcess(process, line);
    }

    /// <summary>SIGKILL: no disposal, no flush.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
    }
}
