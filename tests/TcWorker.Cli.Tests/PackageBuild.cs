using System.Diagnostics;
using System.Reflection;

namespace TcWorker.Cli.Tests;

/// <summary>The tests that build projects from the packages test.sh packs into artifacts/packages: they share one NuGet folder, so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageBuildCollection
{
    public const string Name = "builds from the packed packages";
}

/// <summary>Builds outside projects (samples, instantiated templates) against the freshly packed TcWorker packages.</summary>
internal static class PackageBuild
{
    private static readonly Lazy<bool> Cleaned = new(DropStaleTcWorkerPackages);

    public static string RepoRoot { get; } = Metadata("TcWorkerRepoRoot");

    /// <summary>The version test.sh packs the TcWorker packages with (the repository's VersionPrefix).</summary>
    public static string Version { get; } = Metadata("TcWorkerPackageVersion");

    public static string Packages { get; } = Path.Combine(RepoRoot, "artifacts", "packages");

    /// <summary>One NuGet folder for every such build (samples name it in their Directory.Build.props too), apart from the user's cache.</summary>
    public static string NuGetFolder { get; } = Path.Combine(RepoRoot, "artifacts", "nuget-packages");

    /// <summary>Skips when the packages were not packed (a plain dotnet test); fails on CI, where test.sh always packs.</summary>
    public static void SkipUnlessPacked()
    {
        if (!File.Exists(Path.Combine(Packages, $"TcWorker.Testing.{Version}.nupkg")))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"The packages were not packed into {Packages}; test.sh packs before testing");
            Skip.If(true, "The TcWorker packages are not packed; run ./test.sh (or dotnet pack TcWorker.slnx) first");
        }

        _ = Cleaned.Value;
    }

    /// <summary>A nuget.config for a folder outside the repository: TcWorker packages from artifacts/packages, the rest from nuget.org.</summary>
    public static string NuGetConfig() => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="tcworker" value="{Packages}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="tcworker"><package pattern="TcWorker.*" /></packageSource>
            <packageSource key="nuget.org"><package pattern="*" /></packageSource>
          </packageSourceMapping>
        </configuration>
        """;

    /// <summary>Runs dotnet with the shared NuGet folder; fails the test with its output when it exits non-zero.</summary>
    public static async Task<string> DotnetAsync(string directory, IReadOnlyDictionary<string, string>? environment, params string[] args)
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

        start.Environment["NUGET_PACKAGES"] = NuGetFolder;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} in {directory} failed:\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    private static string Metadata(string key) => typeof(PackageBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The packages keep their version from one pack to the next: drop the restored copies so the fresh ones are used.</summary>
    private static bool DropStaleTcWorkerPackages()
    {
        foreach (var stale in Directory.Exists(NuGetFolder) ? Directory.EnumerateDirectories(NuGetFolder, "tcworker.*") : [])
        {
            Directory.Delete(stale, recursive: true);
        }

        return true;
    }
}
