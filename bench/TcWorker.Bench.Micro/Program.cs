using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process (also with --job: add --inProcess): no generated project to build per benchmark (slow, and it times out on a loaded machine).
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "tcworker-benchmarkdotnet"));
BenchmarkSwitcher.FromAssembly(typeof(TcWorker.Bench.Micro.HawkBenchmarks).Assembly).Run(args, config);
