using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;

namespace TcWorker.Cli.Tests;

/// <summary>Checks the packages test.sh packs into artifacts/packages before the tests run.</summary>
public sealed class PackageTests
{
    private static readonly string Packages = Path.Combine(
        typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TcWorkerRepoRoot").Value!,
        "artifacts",
        "packages");

    [SkippableTheory]
    [InlineData("TcWorker.Abstractions")]
    [InlineData("TcWorker.Runtime")]
    [InlineData("TcWorker.Taskcluster")]
    [InlineData("TcWorker.Testing")]
    [InlineData("TcWorker.LocalQueue")]
    [InlineData("TcWorker.Sdk")]
    [InlineData("TcWorker.Engines.Native")]
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

    [SkippableFact]
    public void The_testing_kit_carries_the_mock_engine_instead_of_depending_on_an_unpacked_package()
    {
        using var zip = OpenPackage("TcWorker.Testing");
        Assert.Contains("lib/net10.0/TcWorker.Engines.Mock.dll", zip.Entries.Select(e => e.FullName));
        var text = Nuspec(zip);
        Assert.DoesNotContain("TcWorker.Engines.Mock", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.Runtime\"", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.LocalQueue\"", text, StringComparison.Ordinal);
        // What the mock engine's assembly needs besides the contracts.
        Assert.Contains("id=\"TcWorker.Sdk\"", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_sdk_is_a_preview_that_brings_no_copy_of_the_contracts_and_the_engines_depend_on_it()
    {
        string sdk;
        using (var zip = OpenPackage("TcWorker.Sdk"))
        {
            sdk = Nuspec(zip);
            Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith("TcWorker.Abstractions.dll", StringComparison.Ordinal));
        }

        Assert.Matches("<version>0\\.[0-9]+\\.[0-9]+</version>", sdk);
        Assert.Contains("outside the 1.0 contract promise", sdk, StringComparison.Ordinal);
        var contracts = Assert.Single(Regex.Matches(sdk, "<dependency id=\"TcWorker.Abstractions\"[^>]*>"));
        Assert.Matches("exclude=\"[^\"]*\\bRuntime\\b", contracts.Value);

        using var native = OpenPackage("TcWorker.Engines.Native");
        var engine = Assert.Single(Regex.Matches(Nuspec(native), "<dependency id=\"TcWorker.Sdk\"[^>]*>"));
        Assert.DoesNotContain("exclude=\"Runtime", engine.Value, StringComparison.Ordinal);
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
