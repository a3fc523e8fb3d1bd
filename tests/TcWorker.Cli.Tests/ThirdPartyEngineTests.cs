using System.Diagnostics;
using System.Reflection;
using Newtonsoft.Json.Linq;

namespace TcWorker.Cli.Tests;

/// <summary>
/// Builds samples/ThirdPartyEngine as an outside team would, against the packages test.sh packs into
/// artifacts/packages: its conformance tests pass, and tc-worker loads its published plugin folder.
/// </summary>
public sealed class ThirdPartyEngineTests
{
    private static readonly string RepoRoot = typeof(ThirdPartyEngineTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TcWorkerRepoRoot").Value!;

    [SkippableFact]
    public async Task The_sample_engine_passes_the_kit_and_its_published_folder_loads()
    {
        var packages = Path.Combine(RepoRoot, "artifacts", "packages");
        if (!File.Exists(Path.Combine(packages, "TcWorker.Testing.0.1.0.nupkg")))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"The packages were not packed into {packages}; test.sh packs before testing");
            Skip.If(true, "The TcWorker packages are not packed; run ./test.sh (or dotnet pack TcWorker.slnx) first");
        }

        var sample = Path.Combine(RepoRoot, "samples", "ThirdPartyEngine");
        var work = Path.Combine(RepoRoot, "artifacts", "third-party-engine");

        // The packages keep their version (0.1.0) from one pack to the next: drop the restored copies so the fresh ones are used.
        var restored = Path.Combine(work, "nuget-packages");
        foreach (var stale in Directory.Exists(restored) ? Directory.EnumerateDirectories(restored, "tcworker.*") : [])
        {
            Directory.Delete(stale, recursive: true);
        }

        await DotnetAsync(sample, "restore", "ThirdPartyEngine.slnx", "--force");
        await DotnetAsync(sample, "test", "ThirdPartyEngine.slnx", "--no-restore", "-c", "Release");
        var plugins = Path.Combine(work, "plugins");
        var folder = Path.Combine(plugins, "acme-echo");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        await DotnetAsync(sample, "publish", "src/Acme.TcWorker.Engines.Echo", "--no-restore", "-c", "Release", "-o", folder);
        Assert.False(File.Exists(Path.Combine(folder, "TcWorker.Abstractions.dll")), "The plugin folder carries a copy of the contracts.");

        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("plugins", "--plugin-dir", plugins, "--json");
        Assert.True(exit == 0, stderr);
        var engine = JArray.Parse(stdout).Cast<JObject>().Single(c => (string)c["name"]! == "acme-echo");
        Assert.Equal("loaded", (string)engine["status"]!);
        Assert.Equal(folder, (string)engine["source"]!);
    }

    private static async Task DotnetAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The test host's MSBuild settings must not leak into a separate build.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{await stdout}\n{await stderr}");
    }
}
