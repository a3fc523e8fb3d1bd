using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// ShortRun, in-process: no generated project to build per benchmark (slow, and it times out on a
// loaded machine). Another --job on the command line runs as well; add --inProcess to it.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "tcworker-benchmarkdotnet"));
BenchmarkSwitcher.FromAssembly(typeof(TcWorker.Bench.Micro.HawkBenchmarks).Assembly).Run(args, config);
