using System.Diagnostics;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>Task output a log must survive: bytes that are not UTF-8, and one enormous line without a newline.</summary>
public sealed class HostileOutputTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Output_that_is_not_utf8_keeps_its_bytes_and_the_live_and_backing_logs_agree()
    {
        await using var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", @"printf 'first\377\376half\300\n'; sleep 3; printf '\200\201tail\355\240\200\n'") },
        });
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        // The live log, read from its start while the task runs, to its end.
        string? liveUrl = null;
        var until = Stopwatch.StartNew();
        while (liveUrl is null)
        {
            Assert.True(until.Elapsed < TimeSpan.FromSeconds(30), "the live log never appeared");
            try
            {
                var artifact = await deployment.Queue.GetArtifactAsync(taskId, 0, "public/logs/live.log");
                liveUrl = artifact.StorageType == "reference" ? artifact.Url : null;
            }
            catch (Taskcluster.TaskclusterException)
            {
            }

            await Task.Delay(50);
        }

        var live = await Http.GetByteArrayAsync(liveUrl);
        Assert.Equal(WorkerStopReason.TaskLimitReached, await worker.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);
        using var response = await Http.GetAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, "public/logs/live_backing.log", TimeSpan.FromMinutes(5)));
        var backing = await response.Content.ReadAsByteArrayAsync();

        byte[] first = [.. "first"u8, 0xFF, 0xFE, .. "half"u8, 0xC0, (byte)'\n'];
        byte[] second = [0x80, 0x81, .. "tail"u8, 0xED, 0xA0, 0x80, (byte)'\n'];
        Assert.True(backing.AsSpan().IndexOf(first) >= 0 && backing.AsSpan().IndexOf(second) >= 0, "the backing log lost bytes:\n" + Convert.ToHexString(backing));
        Assert.True(live.AsSpan().IndexOf(first) >= 0 && live.AsSpan().IndexOf(second) >= 0, "the live log lost bytes:\n" + Convert.ToHexString(live));
        Assert.True(backing.AsSpan().StartsWith(live), $"the live log ({live.Length} bytes) is not the start of the backing log ({backing.Length} bytes)");
    }

    /// <summary>
    /// A 256 MiB line without a newline, through every log filter (secret masking holds bytes back across
    /// chunks) and the live log: the worker's peak resident memory stays below the line's size, so the line
    /// is never held whole (a 512 MiB line peaked at 170 MiB, as the 256 MiB one does).
    /// </summary>
    [Fact]
    public async Task A_256_MiB_line_without_a_newline_passes_with_memory_below_its_size()
    {
        const long LineBytes = 256L << 20;
        var (peakKiB, xs) = await RunLongLineAsync(LineBytes);
        Console.WriteLine($"tc-worker run peak RSS with a {LineBytes >> 20} MiB line without a newline: {peakKiB / 1024} MiB");
        Assert.InRange(xs, LineBytes, LineBytes + 100);   // the line, and the few x's of the worker's own lines
        Assert.True(peakKiB > 0 && peakKiB * 1024 < LineBytes, $"peak resident memory of tc-worker run: {peakKiB} KiB for a line of {LineBytes >> 20} MiB");
    }

    /// <summary>Runs <c>tc-worker run</c> on a task printing <paramref name="bytes"/> x's and no newline; returns its peak RSS and the x's it printed.</summary>
    internal static async Task<(long PeakKiB, long Xs)> RunLongLineAsync(long bytes)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-line-").FullName;
        try
        {
            var taskFile = Path.Combine(folder, "line.json");
            await File.WriteAllTextAsync(taskFile, new JObject
            {
                ["command"] = new JArray { new JArray("sh", "-c", $"head -c {bytes} /dev/zero | tr '\\0' x") },
                ["env"] = new JObject { ["SOME_TOKEN"] = "masked-value-that-never-comes" },
            }.ToString());
            var configFile = Path.Combine(folder, "config.json");
            await File.WriteAllTextAsync(configFile, """
                {
                  "engine": "native",
                  "engines": {"native": {"createUser": false}},
                  "plugins": {"env": {}, "maxruntime": {}, "success": {}, "livelog": {}, "secretmask": {}},
                  "worker": {"workerPoolId": "local/native"}
                }
                """);
            var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
            foreach (var arg in new[] { "run", taskFile, "--config", configFile, "--out", Path.Combine(folder, "out") })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var counting = Task.Run(async () =>
            {
                long count = 0;
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
                {
                    count += buffer.AsSpan(0, n).Count((byte)'x');
                }

                return count;
            });
            var peakKiB = await PeakMemory.UntilExitKiBAsync(process);

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            return (peakKiB, await counting);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
