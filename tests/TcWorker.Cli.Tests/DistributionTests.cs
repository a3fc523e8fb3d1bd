using System.Diagnostics;

namespace TcWorker.Cli.Tests;

/// <summary>
/// The three ways tc-worker is installed: the .NET tool package, the self-contained release folder, and the
/// container image. test.sh packs the tool and builds the linux-x64 release folder before the tests run.
/// </summary>
[Collection(PackageBuildCollection.Name)]
public sealed class DistributionTests : IDisposable
{
    private static readonly string[] StockPlugins =
    [
        "docker", "native", "script", "mock", "artifacts", "chainoftrust", "env", "interactive", "livelog", "logprefix",
        "maxruntime", "mounts", "secretmask", "success", "taskclusterproxy",
    ];

    private static readonly string Release = Path.Combine(PackageBuild.RepoRoot, "artifacts", "release", "linux-x64");

    private readonly string folder = System.IO.Directory.CreateTempSubdirectory("tcw-dist-").FullName;

    public void Dispose() => System.IO.Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public async Task The_tool_package_installs_tc_worker_with_every_stock_plugin_folder()
    {
        PackageBuild.SkipUnlessPacked();
        var config = Path.Combine(folder, "nuget.config");
        await File.WriteAllTextAsync(config, PackageBuild.NuGetConfig());
        var tools = Path.Combine(folder, "tools");
        await PackageBuild.DotnetAsync(folder, null, "tool", "install", "TcWorker.Cli", "--version", PackageBuild.Version, "--tool-path", tools, "--configfile", config);

        var tcWorker = Path.Combine(tools, "tc-worker");
        var (exit, listing, stderr) = await RunAsync(tcWorker, null, "plugins");
        Assert.True(exit == 0, $"tc-worker plugins exited {exit}: {stderr}");
        foreach (var plugin in StockPlugins)
        {
            Assert.Matches($@"(?m)^{plugin}\s+(engine|plugin)\s+\S+\s+\S+\s+loaded\s", listing);
        }

        await RunsATaskAsync(tcWorker, null);
    }

    [SkippableFact]
    public async Task The_self_contained_release_folder_runs_a_task_without_a_dotnet_installation()
    {
        SkipUnlessReleased();
        Assert.True(File.Exists(Path.Combine(Release, "libcoreclr.so")), "the release folder carries no runtime: it is not self-contained");
        foreach (var plugin in System.IO.Directory.GetDirectories(Path.Combine(Release, "plugins")))
        {
            // Plugin folders run in the release's runtime: a copy of the runtime in one would be dead weight.
            Assert.False(File.Exists(Path.Combine(plugin, "System.Private.CoreLib.dll")), $"{plugin} carries a copy of the .NET runtime");
        }

        Assert.Equal(StockPlugins.Length, System.IO.Directory.GetDirectories(Path.Combine(Release, "plugins")).Length);

        // No dotnet on PATH, no DOTNET_ROOT: only the folder itself.
        var bare = new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin", ["HOME"] = folder };
        await RunsATaskAsync(Path.Combine(Release, "tc-worker"), bare);
    }

    [SkippableFact]
    public async Task The_container_image_built_offline_runs_a_task()
    {
        SkipUnlessReleased();
        var docker = await RunAsync("docker", null, "version", "--format", "{{.Server.Version}}");
        if (docker.ExitCode != 0)
        {
            Assert.False(InCi, $"CI=true and no Docker daemon answers: {docker.Stderr}");
            Skip.If(true, $"no Docker daemon answers ({docker.Stderr.Trim()}); ./test.sh starts one");
        }

        // The build context holds the release folder as the Dockerfile expects it: linux-x64/.
        var context = Path.Combine(folder, "context");
        System.IO.Directory.CreateDirectory(context);
        File.CreateSymbolicLink(Path.Combine(context, "linux-x64"), Release);
        File.Copy(Path.Combine(PackageBuild.RepoRoot, "deploy", "docker", "Dockerfile"), Path.Combine(context, "Dockerfile"));
        var tar = Path.Combine(folder, "context.tar");
        await Must(RunAsync("tar", null, "-C", context, "-chf", tar, "."));

        var tag = "tcw-test/tc-worker:" + Guid.NewGuid().ToString("N")[..12];
        var baseImage = tag.Replace("tc-worker", "runtime-deps", StringComparison.Ordinal);
        try
        {
            await Must(RunAsync(Path.Combine(PackageBuild.RepoRoot, "deploy", "docker", "offline-base.sh"), null, baseImage, Release));
            await Must(RunAsync("sh", null, "-c", $"docker build -q --network none --build-arg BASE={baseImage} -t {tag} - < {tar}"));
            var task = await WriteTaskAsync();
            var (exit, stdout, stderr) = await RunAsync("docker", null, "run", "--rm", "--network", "none", "-v", $"{task}:/task.yml:ro", tag, "run", "/task.yml");
            Assert.True(exit == 0, $"the container exited {exit}:\n{stdout}\n{stderr}");
            Assert.Contains("hello from the task", stdout + stderr, StringComparison.Ordinal);
            Assert.Contains("completed", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("docker", null, "rmi", "-f", tag, baseImage);
        }
    }

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static void SkipUnlessReleased()
    {
        if (!File.Exists(Path.Combine(Release, "tc-worker")))
        {
            Assert.False(InCi, $"CI=true and there is no release folder at {Release}; test.sh builds it with eng/release.sh linux-x64");
            Skip.If(true, $"no release folder at {Release}; run eng/release.sh linux-x64 (./test.sh does)");
        }
    }

    private async Task<string> WriteTaskAsync()
    {
        var task = Path.Combine(folder, "task.yml");
        await File.WriteAllTextAsync(task, "payload:\n  command: [[sh, -c, 'echo hello from the task']]\n  maxRunTime: 60\n");
        return task;
    }

    private async Task RunsATaskAsync(string tcWorker, IReadOnlyDictionary<string, string?>? environment)
    {
        var task = await WriteTaskAsync();
        var (exit, stdout, stderr) = await RunAsync(tcWorker, environment, "run", task, "--out", Path.Combine(folder, "out"));
        Assert.True(exit == 0, $"tc-worker run exited {exit}:\n{stdout}\n{stderr}");
        Assert.Contains("hello from the task", stdout, StringComparison.Ordinal);
        Assert.Contains("completed", stdout + stderr, StringComparison.Ordinal);
    }

    private static async Task Must(Task<(int ExitCode, string Stdout, string Stderr)> run)
    {
        var (exit, stdout, stderr) = await run;
        Assert.True(exit == 0, $"exited {exit}:\n{stdout}\n{stderr}");
    }

    /// <summary>Runs a program; with <paramref name="environment"/>, in exactly that environment.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
