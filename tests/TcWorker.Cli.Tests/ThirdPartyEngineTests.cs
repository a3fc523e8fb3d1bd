using Newtonsoft.Json.Linq;

namespace TcWorker.Cli.Tests;

/// <summary>
/// Builds samples/ThirdPartyEngine as an outside team would, against the packages test.sh packs into
/// artifacts/packages: its conformance tests pass, and tc-worker loads its published plugin folder.
/// </summary>
[Collection(PackageBuildCollection.Name)]
public sealed class ThirdPartyEngineTests
{
    [SkippableFact]
    public async Task The_sample_engine_passes_the_kit_and_its_published_folder_loads()
    {
        PackageBuild.SkipUnlessPacked();
        var sample = Path.Combine(PackageBuild.RepoRoot, "samples", "ThirdPartyEngine");
        var work = Path.Combine(PackageBuild.RepoRoot, "artifacts", "third-party-engine");

        await PackageBuild.DotnetAsync(sample, null, "restore", "ThirdPartyEngine.slnx", "--force");
        await PackageBuild.DotnetAsync(sample, null, "test", "ThirdPartyEngine.slnx", "--no-restore", "-c", "Release");
        var plugins = Path.Combine(work, "plugins");
        var folder = Path.Combine(plugins, "acme-echo");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        await PackageBuild.DotnetAsync(sample, null, "publish", "src/Acme.TcWorker.Engines.Echo", "--no-restore", "-c", "Release", "-o", folder);
        Assert.False(File.Exists(Path.Combine(folder, "TcWorker.Abstractions.dll")), "The plugin folder carries a copy of the contracts.");
        Assert.True(File.Exists(Path.Combine(folder, "TcWorker.Sdk.dll")), "The plugin folder lacks the SDK the engine uses.");

        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("plugins", "--plugin-dir", plugins, "--json");
        Assert.True(exit == 0, stderr);
        var engine = JArray.Parse(stdout).Cast<JObject>().Single(c => (string)c["name"]! == "acme-echo");
        Assert.Equal("loaded", (string)engine["status"]!);
        Assert.Equal(folder, (string)engine["source"]!);
    }
}
