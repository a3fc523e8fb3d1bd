using System.Diagnostics;
using System.Globalization;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>Figure 4: the log path under one live reader.</summary>
internal static partial class Suite
{
    private static readonly HttpClient LiveReader = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// 4. Log throughput: a task writes N bytes to its stdout while one reader follows the live log
    /// over HTTP to its end; N over the time from the run's claim to the later of its resolution
    /// (after the backing log is uploaded) and the reader's end. Baseline: the same command piped
    /// through <c>cat</c> into a file.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> LogThroughputAsync(Harness harness, BenchOptions options)
    {
        var produce = $"head -c {options.LogBytes.ToString(CultureInfo.InvariantCulture)} /dev/zero | tr '\\0' x";
        var file = Path.Combine(harness.Folder, "log-baseline");
        var bare = await Spawner.TimeOnceAsync("sh", "-c", $"{produce} | cat > {file}") / 1000;
        File.Delete(file);

        // a long-running worker has compiled its log path long before: warm it up with a small log first
        var warmUp = await harness.CreateTaskAsync("bench/log-warm-up", "sh", "-c", $"head -c {Math.Min(options.LogBytes, 16 << 20).ToString(CultureInfo.InvariantCulture)} /dev/zero | tr '\\0' x");
        using (var warmUpLifetime = new WorkerLifetime())
        {
            var warming = Harness.RunWorkerAsync(harness.Config("bench/log-warm-up", capacity: 1, tasks: 1), warmUpLifetime);
            await FollowLiveLogAsync(harness, warmUp);
            await warming;
        }

        const string queue = "bench/log";
        var taskId = await harness.CreateTaskAsync(queue, "sh", "-c", produce);
        using var lifetime = new WorkerLifetime();
        var self = Process.GetCurrentProcess();
        var cpuAtStart = self.TotalProcessorTime;
        var worker = Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: 1), lifetime);
        var (readBytes, readerEnd) = await FollowLiveLogAsync(harness, taskId);
        self.Refresh();
        var liveCpu = (self.TotalProcessorTime - cpuAtStart).TotalSeconds;
        await worker;
        var run = (await harness.CompletedAsync([taskId]))[0].Runs[^1];
        var end = run.Resolved!.Value > readerEnd ? run.Resolved.Value : readerEnd;
        var seconds = (end - run.Started!.Value).TotalSeconds;
        if (readBytes < options.LogBytes)
        {
            throw new InvalidOperationException($"the live reader got {readBytes} bytes of at least {options.LogBytes}");
        }

        var mib = options.LogBytes / (double)(1 << 20);
        var rate = mib / seconds;
        var baseline = mib / bare;
        var ratio = rate / baseline;
        var live = (readerEnd - run.Started.Value).TotalSeconds;
        var upload = (run.Resolved.Value - readerEnd).TotalSeconds;
        return
        [
            new($"log throughput ({mib:F0} MiB of stdout, 1 live reader, log uploaded)", "MiB/s", rate, baseline, ratio, "<= 1.5x the time of `| cat > file`", ratio >= 1 / 1.5),
            new("log: claim to the live reader's end", "s", live, bare, live / bare, "-", true),
            new("log: CPU of the worker's process (worker, reader, queue) until the reader's end", "s", liveCpu, bare, liveCpu / bare, "-", true),
            new("log: the live reader's end to resolved (the backing log's upload)", "s", upload, bare, upload / bare, "-", true, MayBeZero: true),
        ];
    }

    /// <summary>Waits for the run's live log reference, then reads the live log to its end; returns the bytes read and when it ended.</summary>
    private static async Task<(long Bytes, DateTimeOffset End)> FollowLiveLogAsync(Harness harness, string taskId)
    {
        var until = Stopwatch.StartNew();
        string url;
        while (true)
        {
            try
            {
                var artifact = await harness.Client.Queue.GetArtifactAsync(taskId, 0, "public/logs/live.log");
                url = artifact.Url;
                break;
            }
            catch (TaskclusterException) when (until.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(5);
            }
        }

        HttpResponseMessage? response;
        try
        {
            response = await LiveReader.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (HttpRequestException)
        {
            response = null;
        }

        if (response is not { IsSuccessStatusCode: true })
        {
            // A tiny log (the smoke run) can end, and its worker stop, before the reader arrives:
            // then the reader gets what the run left, the backing log.
            response?.Dispose();
            await harness.WaitResolvedAsync(taskId, TimeSpan.FromSeconds(60));
            response = await LiveReader.GetAsync(harness.Client.Queue.BuildSignedArtifactUrl(taskId, 0, "public/logs/live_backing.log", TimeSpan.FromMinutes(5)), HttpCompletionOption.ResponseHeadersRead);
        }

        using (response)
        {
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            return (total, DateTimeOffset.UtcNow);
        }
    }
}
