using System.Diagnostics;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The peak resident memory of a running process, as the kernel records it (VmHWM).</summary>
internal static class PeakMemory
{
    /// <summary>Polls the process every 100 ms until it exits; returns its highest VmHWM in KiB (0 when never read).</summary>
    public static async Task<long> UntilExitKiBAsync(Process process)
    {
        long peakKiB = 0;
        while (!process.HasExited)
        {
            try
            {
                var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null)
                {
                    peakKiB = Math.Max(peakKiB, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The process just ended.
            }

            await Task.Delay(100);
        }

        return peakKiB;
    }
}
