using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
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
    /// through <c>cat</c> into a file; the backing log's upload is set against <c>curl -T</c> of that
    /// file (the same bytes) as an <c>object</c> artifact. Then the masking cost: a text log through a
    /// worker with the <c>secretmask</c> plugin and through one without. Rounds interleaved; medians.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> LogThroughputAsync(Harness harness, BenchOptions options)
    {
        var produce = $"head -c {options.LogBytes.ToString(CultureInfo.InvariantCulture)} /dev/zero | tr '\\0' x";
        var file = Path.Combine(harness.Folder, "log-baseline");

        // A long-running worker has compiled its log path long before. A fresh process compiles the hot
        // methods again (tier 1, with profile data) only after they ran a while: 16 MiB of warm-up left the
        // JIT busy for a third of the CPU samples of the measured run (docs/benchmarks.md). So a quarter
        // of the log (at most 256 MiB) warms up, and the JIT gets a second to finish in the background.
        await LogTaskAsync(harness, "bench/log-warm-up", $"head -c {Math.Min(options.LogBytes / 4, 256 << 20).ToString(CultureInfo.InvariantCulture)} /dev/zero | tr '\\0' x", 0);
        await Task.Delay(options.Settle(1000));
        var uploads = await ClaimForUploadsAsync(harness, "bench/log-curl");
        var (bare, whole, live, cpu, upload, curl) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < options.LogRuns; i++)
        {
            bare.Add(await Spawner.TimeOnceAsync("sh", "-c", $"{produce} | cat > {file}") / 1000);
            var run = await LogTaskAsync(harness, "bench/log", produce, options.LogBytes);
            whole.Add(run.Whole);
            live.Add(run.Live);
            cpu.Add(run.LiveCpu);
            upload.Add(run.Upload);
            curl.Add(await CurlAsync(file, await ObjectUrlAsync(uploads.Client, uploads.TaskId, uploads.RunId, "public/curl-log-" + i.ToString(CultureInfo.InvariantCulture), uploads.Expires, options.LogBytes)));
            File.Delete(file);
        }

        var mib = options.LogBytes / (double)(1 << 20);
        var (bareTime, wholeTime, liveTime, uploadTime, curlTime) = (Stats.Median(bare), Stats.Median(whole), Stats.Median(live), Stats.Median(upload), Stats.Median(curl));
        var rate = mib / wholeTime;
        var baseline = mib / bareTime;
        return
        [
            new($"log throughput ({mib:F0} MiB of stdout, 1 live reader, log uploaded)", "MiB/s", rate, baseline, rate / baseline, "<= 1.5x the time of `| cat > file`", rate / baseline >= 1 / 1.5),
            new("log: claim to the live reader's end", "s", liveTime, bareTime, liveTime / bareTime, "<= 1.3x `| cat > file`", liveTime / bareTime <= 1.3),
            new("log: CPU of the worker's process (worker, reader, queue) until the reader's end", "s", Stats.Median(cpu), bareTime, Stats.Median(cpu) / bareTime, "-", true),
            // A tiny log (the smoke run) can be uploaded before its reader ends: then there is no upload time to measure.
            new("log: the live reader's end to resolved (the backing log's upload), rate vs `curl -T` of the same bytes as an object", "MiB/s", uploadTime > 0 ? mib / uploadTime : 0, mib / curlTime, uploadTime > 0 ? curlTime / uploadTime : 0, ">= 0.9x curl", uploadTime > 0 && curlTime / uploadTime >= 0.9, MayBeZero: true),
            .. await MaskingAsync(harness, options),
        ];
    }

    /// <summary>
    /// The masking cost: a task prints build-log-like lines through a worker with the <c>secretmask</c>
    /// plugin (two secrets from the payload's env, plus the run's credentials) and through one without,
    /// interleaved; the cost is the difference of the medians, per MiB, of the process's CPU time and
    /// of the live part's wall time.
    /// </summary>
    private static async Task<IReadOnlyList<Figure>> MaskingAsync(Harness harness, BenchOptions options)
    {
        var bytes = options.MaskingBytes;
        var produce = $"yes 'src/Runtime/Tasks/TaskLog.cs(120,17): note: compiled 1234 of 5678 files in 00:00:01.234 [Release]' | head -c {bytes.ToString(CultureInfo.InvariantCulture)}";
        // the masking plugin is loaded and compiled by its first task: not counted
        await LogTaskAsync(harness, "bench/log-masked-warm-up", produce.Replace(bytes.ToString(CultureInfo.InvariantCulture), (bytes / 4).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), 0, masking: true);
        var (plainCpu, maskedCpu, plainLive, maskedLive) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < options.LogRuns; i++)
        {
            var plain = await LogTaskAsync(harness, "bench/log-plain", produce, bytes);
            var masked = await LogTaskAsync(harness, "bench/log-masked", produce, bytes, masking: true);
            (plainCpu, maskedCpu, plainLive, maskedLive) = ([.. plainCpu, plain.LiveCpu], [.. maskedCpu, masked.LiveCpu], [.. plainLive, plain.Live], [.. maskedLive, masked.Live]);
        }

        var mib = bytes / (double)(1 << 20);
        var cpu = (Stats.Median(maskedCpu) - Stats.Median(plainCpu)) * 1000 / mib;
        var wall = (Stats.Median(maskedLive) - Stats.Median(plainLive)) * 1000 / mib;
        return
        [
            new($"masking: CPU per MiB of log, `secretmask` on minus off ({mib:F0} MiB of text lines)", "ms/MiB", cpu, Stats.Median(plainCpu) * 1000 / mib, cpu / (Stats.Median(plainCpu) * 1000 / mib), "-", true, MayBeZero: true),
            new($"masking: live part per MiB, `secretmask` on minus off", "ms/MiB", wall, Stats.Median(plainLive) * 1000 / mib, wall / (Stats.Median(plainLive) * 1000 / mib), "-", true, MayBeZero: true),
        ];
    }

    /// <summary>
    /// Runs one task writing a log with a worker of its own and one reader following the live log; the
    /// times from its claim to the reader's end and to the later of that and its resolution, the
    /// process's CPU time until the reader's end, and the time from the reader's end to resolved.
    /// </summary>
    private static async Task<(double Whole, double Live, double LiveCpu, double Upload)> LogTaskAsync(Harness harness, string queue, string produce, long expected, bool masking = false)
    {
        var taskId = masking
            ? await harness.CreateTaskAsync(queue, new JObject { ["command"] = new JArray { new JArray("sh", "-c", produce) }, ["maxRunTime"] = 600, ["env"] = new JObject { ["BENCH_TOKEN"] = "bench-secret-token-0123456789", ["DEPLOY_PASSWORD"] = "correct horse battery staple" } })
            : await harness.CreateTaskAsync(queue, "sh", "-c", produce);
        var config = harness.Config(queue, capacity: 1, tasks: 1);
        if (masking)
        {
            ((JObject)config["plugins"]!)["secretmask"] = new JObject();
        }

        using var lifetime = new WorkerLifetime();
        var self = Process.GetCurrentProcess();
        var cpuAtStart = self.TotalProcessorTime;
        var worker = Harness.RunWorkerAsync(config, lifetime);
        var (readBytes, readerEnd) = await FollowLiveLogAsync(harness, taskId);
        self.Refresh();
        var liveCpu = (self.TotalProcessorTime - cpuAtStart).TotalSeconds;
        await worker;
        var run = (await harness.CompletedAsync([taskId]))[0].Runs[^1];
        if (readBytes < expected)
        {
            throw new InvalidOperationException($"the live reader got {readBytes} bytes of at least {expected}");
        }

        var end = run.Resolved!.Value > readerEnd ? run.Resolved.Value : readerEnd;
        return ((end - run.Started!.Value).TotalSeconds, (readerEnd - run.Started.Value).TotalSeconds, liveCpu, (run.Resolved.Value - readerEnd).TotalSeconds);
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
