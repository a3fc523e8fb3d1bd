using System.Diagnostics;
using System.Globalization;
using TcWorker.Runtime.Workers;

namespace TcWorker.Bench;

/// <summary>Figure 9: a real job, through the worker and bare.</summary>
internal static partial class Suite
{
    /// <summary>
    /// 9. A real job: <c>xz</c> of a generated text file, then <c>sha256sum</c>; median of runs
    /// interleaved with the bare job. Also the CPU time this process (the in-process worker and the
    /// queue; never the job's own processes) spends per worker run vs per bare run.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> RealJobAsync(Harness harness, BenchOptions options)
    {
        var input = Path.Combine(harness.Folder, "job-input");
        await WriteTextFileAsync(input, options.JobBytes);
        string[] Command(string output) => ["sh", "-c", $"xz {options.JobLevel} -T1 -c {input} > {output} && sha256sum {output}"];
        var bareCommand = Command(Path.Combine(harness.Folder, "job-output.xz"));
        var bare = new List<double>();
        var worker = new List<double>();
        var bareCpu = new List<double>();
        var workerCpu = new List<double>();
        var bareJobCpu = new List<double>();
        var workerJobCpu = new List<double>();
        var self = Process.GetCurrentProcess();
        for (var i = 0; i < options.JobRuns; i++)
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var job = Cpu.OfReapedChildren(Environment.ProcessId);
            bare.Add(await Spawner.TimeCheckedAsync(bareCommand));
            self.Refresh();
            bareCpu.Add((self.TotalProcessorTime - cpu).TotalMilliseconds);
            bareJobCpu.Add((Cpu.OfReapedChildren(Environment.ProcessId) - job).TotalMilliseconds);
            cpu = self.TotalProcessorTime;
            job = Cpu.OfReapedChildren(Environment.ProcessId);
            worker.AddRange(await RunSeriallyAsync(harness, "bench/job", [Command("out.xz")]));
            self.Refresh();
            workerCpu.Add((self.TotalProcessorTime - cpu).TotalMilliseconds);
            workerJobCpu.Add((Cpu.OfReapedChildren(Environment.ProcessId) - job).TotalMilliseconds);
        }

        // The same jobs through one worker that runs throughout, as a deployed worker does: warmed up by one task,
        // then idle between its jobs and during the bare ones, so that no worker start-up runs beside a job.
        var warm = new List<double>();
        var bareBesideWarm = new List<double>();
        using (var lifetime = new WorkerLifetime())
        {
            const string queue = "bench/job-running";
            var running = Harness.RunWorkerAsync(harness.Config(queue, capacity: 1), lifetime);
            try
            {
                await JobThroughAsync(harness, queue, ["true"]);
                for (var i = 0; i < options.JobRuns; i++)
                {
                    bareBesideWarm.Add(await Spawner.TimeCheckedAsync(bareCommand));
                    warm.Add(await JobThroughAsync(harness, queue, Command("out.xz")));
                }
            }
            finally
            {
                lifetime.StopGracefully();
                await running;
            }
        }

        var median = Stats.Median(worker) * 1000;
        var ratio = median / Stats.Median(bare);
        var size = options.JobBytes >= 1 << 20 ? $"{options.JobBytes >> 20} MiB" : $"{options.JobBytes >> 10} KiB";
        return
        [
            new($"real job (xz {options.JobLevel} -T1 of {size}, sha256sum), median of {options.JobRuns}", "ms", median, Stats.Median(bare), ratio, "<= 1.02x", ratio <= 1.02),
            new("real job: CPU of the worker's process per run (worker, queue; start-up included) vs per bare run", "ms", Stats.Median(workerCpu), Stats.Median(bareCpu), Stats.Median(workerCpu) / Stats.Median(bareCpu), "-", true),
            new("real job: the job's own CPU (its processes, user and system) through the worker vs bare", "ms", Stats.Median(workerJobCpu), Stats.Median(bareJobCpu), Stats.Median(workerJobCpu) / Stats.Median(bareJobCpu), "-", true),
            new($"real job through a worker already running (idle beside the bare runs too), median of {options.JobRuns}", "ms", Stats.Median(warm) * 1000, Stats.Median(bareBesideWarm), Stats.Median(warm) * 1000 / Stats.Median(bareBesideWarm), "-", true),
        ];
    }

    /// <summary>Runs one task on a running worker's queue; its claim-to-resolved time in seconds, from the queue's clock.</summary>
    private static async Task<double> JobThroughAsync(Harness harness, string queue, string[] command)
    {
        var taskId = await harness.CreateTaskAsync(queue, command);

        // Polled seldom, so that the driver's own calls stay out of the job's way.
        await harness.WaitResolvedAsync(taskId, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(100));
        var run = (await harness.CompletedAsync([taskId]))[0].Runs[^1];
        return (run.Resolved!.Value - run.Started!.Value).TotalSeconds;
    }

    /// <summary>Text-like content: compressible, not trivially.</summary>
    private static async Task WriteTextFileAsync(string path, long length)
    {
        var random = new Random(42);
        await using var writer = File.CreateText(path);
        var words = Enumerable.Range(0, 4096).Select(_ => new string((char)('a' + random.Next(26)), random.Next(1, 9)) + random.Next(1000).ToString(CultureInfo.InvariantCulture)).ToArray();
        var written = 0L;
        while (written < length)
        {
            var word = words[random.Next(words.Length)];
            await writer.WriteAsync(word + ' ');
            written += word.Length + 1;
        }
    }
}
