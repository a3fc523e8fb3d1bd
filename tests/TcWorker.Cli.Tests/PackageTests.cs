using System.IO.Compression;
using Newtonsoft.Json.Linq;

namespace TcWorker.Cli.Tests;

/// <summary>Checks the packages test.sh packs into artifacts/packages before the tests run.</summary>
public sealed class PackageTests
{
    private static string Packages => PackageBuild.Packages;

    /// <summary>The package test.sh packed, or <see langword="null"/>.</summary>
    private static string? Packed(string id)
    {
        var path = Path.Combine(Packages, $"{id}.{PackageBuild.Version}.nupkg");
        return File.Exists(path) ? path : null;
    }

    [SkippableTheory]
    [InlineData("TcWorker.Abstractions")]
    [InlineData("TcWorker.Runtime")]
    [InlineData("TcWorker.Taskcluster")]
    [InlineData("TcWorker.Testing")]
    [InlineData("TcWorker.Testing.XunitV3")]
    [InlineData("TcWorker.LocalQueue")]
    [InlineData("TcWorker.Engines.Native")]
    [InlineData("TcWorker.Engines.Docker")]
    [InlineData("TcWorker.Plugins.LiveLog")]
    public void Packages_carry_the_assembly_its_xml_docs_and_a_readme(string id)
    {
        var package = Packed(id);
        if (package is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{id} was not packed into {Packages}; test.sh packs before testing");
            Skip.If(true, $"{id} is not packed; run ./test.sh (or dotnet pack TcWorker.slnx) first");
        }

        using var zip = ZipFile.OpenRead(package!);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);
        Assert.Contains("README.md", entries);
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains("<readme>README.md</readme>", text, StringComparison.Ordinal);
        Assert.Contains("<license type=\"expression\">MPL-2.0</license>", text, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("TcWorker.Testing", "xunit.assert", "xunit.v3.assert")]
    [InlineData("TcWorker.Testing.XunitV3", "xunit.v3.assert", "xunit.assert")]
    public void The_testing_kits_carry_the_mock_engine_and_depend_on_their_own_xunit(string id, string xunit, string otherXunit)
    {
        var package = Packed(id);
        Skip.If(package is null && Environment.GetEnvironmentVariable("CI") != "true", $"{id} is not packed; run ./test.sh first");
        Assert.NotNull(package);

        using var zip = ZipFile.OpenRead(package);
        Assert.Contains("lib/net10.0/TcWorker.Engines.Mock.dll", zip.Entries.Select(e => e.FullName));
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var text = nuspec.ReadToEnd();
        Assert.DoesNotContain("TcWorker.Engines.Mock", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.Runtime\"", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.LocalQueue\"", text, StringComparison.Ordinal);
        Assert.Contains($"id=\"{xunit}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"id=\"{otherXunit}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(id == "TcWorker.Testing" ? "xunit.v3" : "Xunit.SkippableFact", text, StringComparison.Ordinal);
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
}
