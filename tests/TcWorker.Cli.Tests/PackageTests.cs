using System.IO.Compression;
using Newtonsoft.Json.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace TcWorker.Cli.Tests;

/// <summary>Checks the packages test.sh packs into artifacts/packages before the tests run.</summary>
public sealed class PackageTests
{
    private static string Packages => PackageBuild.Packages;

    [SkippableTheory]
    [InlineData("TcWorker.Abstractions")]
    [InlineData("TcWorker.Runtime")]
    [InlineData("TcWorker.Taskcluster")]
    [InlineData("TcWorker.Testing")]
    [InlineData("TcWorker.Testing.XunitV3")]
    [InlineData("TcWorker.LocalQueue")]
    [InlineData("TcWorker.Sdk")]
    [InlineData("TcWorker.Engines.Native")]
    [InlineData("TcWorker.Engines.Docker")]
    [InlineData("TcWorker.Plugins.LiveLog")]
    public void Packages_carry_the_assembly_its_xml_docs_and_a_readme(string id)
    {
        using var zip = OpenPackage(id);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);
        Assert.Contains("README.md", entries);
        var text = Nuspec(zip);
        Assert.Contains("<readme>README.md</readme>", text, StringComparison.Ordinal);
        Assert.Contains("<license type=\"expression\">MPL-2.0</license>", text, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("TcWorker.Testing", "xunit.assert", "xunit.v3.assert")]
    [InlineData("TcWorker.Testing.XunitV3", "xunit.v3.assert", "xunit.assert")]
    public void The_testing_kits_carry_the_mock_engine_and_depend_on_their_own_xunit(string id, string xunit, string otherXunit)
    {
        using var zip = OpenPackage(id);
        Assert.Contains("lib/net10.0/TcWorker.Engines.Mock.dll", zip.Entries.Select(e => e.FullName));
        var text = Nuspec(zip);
        Assert.DoesNotContain("TcWorker.Engines.Mock", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.Runtime\"", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.LocalQueue\"", text, StringComparison.Ordinal);
        Assert.Contains($"id=\"{xunit}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"id=\"{otherXunit}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(id == "TcWorker.Testing" ? "xunit.v3" : "Xunit.SkippableFact", text, StringComparison.Ordinal);
        // What the mock engine's assembly needs besides the contracts.
        Assert.Contains("id=\"TcWorker.Sdk\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Samples_templates_and_the_readme_name_the_version_the_packages_are_packed_with()
    {
        var root = PackageBuild.RepoRoot;
        var version = PackageBuild.Version;
        foreach (var sample in new[] { "CustomWorker", "ThirdPartyEngine" })
        {
            var props = File.ReadAllText(Path.Combine(root, "samples", sample, "Directory.Build.props"));
            Assert.True(props.Contains($">{version}</TcWorkerVersion>", StringComparison.Ordinal), $"samples/{sample}/Directory.Build.props does not default TcWorkerVersion to {version}");
        }

        foreach (var template in new[] { "Engine", "Plugin" })
        {
            var json = JObject.Parse(File.ReadAllText(Path.Combine(root, "templates", "TcWorker.Templates", "content", template, ".template.config", "template.json")));
            Assert.Equal(version, (string?)json.SelectToken("symbols.tcworkerVersion.defaultValue"));
        }

        Assert.Contains($"<PackageReference Include=\"TcWorker.Abstractions\" Version=\"{version}\"", File.ReadAllText(Path.Combine(root, "README.md")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_sdk_is_1_0_brings_no_copy_of_the_contracts_and_the_engines_depend_on_it()
    {
        string sdk;
        using (var zip = OpenPackage("TcWorker.Sdk"))
        {
            sdk = Nuspec(zip);
            Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith("TcWorker.Abstractions.dll", StringComparison.Ordinal));
        }

        Assert.Matches("<version>1\\.[0-9]+\\.[0-9]+</version>", sdk);
        Assert.DoesNotContain("preview", sdk, StringComparison.OrdinalIgnoreCase);
        // Its baseline is what pack validates it against (Directory.Build.targets, TcWorkerApiBaseline).
        Assert.True(File.Exists(Path.Combine(PackageBuild.RepoRoot, "eng", "baseline", "TcWorker.Sdk.nupkg")), "eng/baseline/TcWorker.Sdk.nupkg is missing");
        var contracts = Assert.Single(Regex.Matches(sdk, "<dependency id=\"TcWorker.Abstractions\"[^>]*>"));
        Assert.Matches("exclude=\"[^\"]*\\bRuntime\\b", contracts.Value);

        foreach (var id in new[] { "TcWorker.Engines.Native", "TcWorker.Engines.Docker" })
        {
            using var package = OpenPackage(id);
            var engine = Assert.Single(Regex.Matches(Nuspec(package), "<dependency id=\"TcWorker.Sdk\"[^>]*>"));
            Assert.DoesNotContain("exclude=\"Runtime", engine.Value, StringComparison.Ordinal);
        }
    }

    /// <summary>Opens a packed package; skips when it was not packed (a plain dotnet test), fails on CI, where test.sh always packs.</summary>
    private static ZipArchive OpenPackage(string id)
    {
        var package = Directory.Exists(Packages)
            ? Directory.EnumerateFiles(Packages, id + ".*.nupkg").SingleOrDefault(p => !p.EndsWith(".snupkg", StringComparison.Ordinal) && Regex.IsMatch(Path.GetFileName(p), "^" + Regex.Escape(id) + "\\.[0-9]"))
            : null;
        if (package is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{id} was not packed into {Packages}; test.sh packs before testing");
            Skip.If(true, $"{id} is not packed; run ./test.sh (or dotnet pack TcWorker.slnx) first");
        }

        return ZipFile.OpenRead(package!);
    }

    private static string Nuspec(ZipArchive zip)
    {
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        return nuspec.ReadToEnd();
    }
}
