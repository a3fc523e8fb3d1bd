using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace TcWorker.Cli.Tests;

/// <summary>
/// Installs the freshly packed TcWorker.Templates into a private dotnet home, instantiates
/// tcworker-engine and tcworker-plugin outside the repository, runs their tests against the packed
/// packages, and loads their published plugin folders with the stock binary. The figures go to
/// artifacts/template-timing.txt.
/// </summary>
[Collection(PackageBuildCollection.Name)]
public sealed class TemplateTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_engine_and_plugin_templates_pass_their_kits_and_load_as_plugin_folders()
    {
        PackageBuild.SkipUnlessPacked();
        var package = Path.Combine(PackageBuild.Packages, $"TcWorker.Templates.{PackageBuild.Version}.nupkg");
        Assert.True(File.Exists(package), $"{package} was not packed");
        var root = Directory.CreateTempSubdirectory("tcw-templates-").FullName;
        try
        {
            // A private dotnet home: the user's installed templates are left alone.
            var home = new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = Path.Combine(root, "home") };
            var work = Path.Combine(root, "work");
            Directory.CreateDirectory(work);
            await File.WriteAllTextAsync(Path.Combine(work, "nuget.config"), PackageBuild.NuGetConfig());
            await PackageBuild.DotnetAsync(root, home, "new", "install", package);

            var figures = new List<string>();
            foreach (var (template, name, component) in new[] { ("tcworker-engine", "Acme.Engine", "acme-engine"), ("tcworker-plugin", "Acme.Plugin", "acme-plugin") })
            {
                var clock = Stopwatch.StartNew();
                var project = Path.Combine(work, name);
                await PackageBuild.DotnetAsync(work, home, "new", template, "-n", name, "-o", project);
                Assert.True(File.Exists(Path.Combine(project, "README.md")));
                Assert.Empty(Directory.EnumerateFiles(project, "nuget.config", SearchOption.AllDirectories));
                var generated = clock.Elapsed;

                var tests = await PackageBuild.DotnetAsync(project, home, "test", "-c", "Release");
                Assert.Matches(@"Passed!? *[-:] ", tests);
                var tested = clock.Elapsed;

                var plugins = Path.Combine(work, "plugins");
                var folder = Path.Combine(plugins, component);
                await PackageBuild.DotnetAsync(project, home, "publish", Path.Combine("src", name), "--no-restore", "-c", "Release", "-o", folder);
                Assert.False(File.Exists(Path.Combine(folder, "TcWorker.Abstractions.dll")), "The plugin folder carries a copy of the contracts.");
                var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("plugins", "--plugin-dir", plugins, "--json");
                Assert.True(exit == 0, stderr);
                var loaded = JArray.Parse(stdout).Cast<JObject>().Single(c => (string)c["name"]! == component);
                Assert.Equal("loaded", (string)loaded["status"]!);
                Assert.Equal(folder, (string)loaded["source"]!);
                figures.Add($"{template}: dotnet new {generated.TotalSeconds:0.0} s, dotnet test (restore, build, kit) {(tested - generated).TotalSeconds:0.0} s, publish and load {(clock.Elapsed - tested).TotalSeconds:0.0} s, total {clock.Elapsed.TotalSeconds:0.0} s");
            }

            foreach (var line in figures)
            {
                output.WriteLine(line);
            }

            await File.WriteAllLinesAsync(Path.Combine(PackageBuild.RepoRoot, "artifacts", "template-timing.txt"), figures);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
