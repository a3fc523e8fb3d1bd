using System.IO.Compression;
using System.Reflection;

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
    [InlineData("TcWorker.Engines.Native")]
    [InlineData("TcWorker.Engines.Docker")]
    [InlineData("TcWorker.Plugins.LiveLog")]
    public void Packages_carry_the_assembly_its_xml_docs_and_a_readme(string id)
    {
        var package = Directory.Exists(Packages) ? Directory.EnumerateFiles(Packages, id + ".*.nupkg").SingleOrDefault(p => !p.EndsWith(".snupkg", StringComparison.Ordinal)) : null;
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

    [SkippableFact]
    public void The_testing_kit_carries_the_mock_engine_instead_of_depending_on_an_unpacked_package()
    {
        var package = Directory.Exists(Packages) ? Directory.EnumerateFiles(Packages, "TcWorker.Testing.*.nupkg").SingleOrDefault(p => !p.EndsWith(".snupkg", StringComparison.Ordinal)) : null;
        Skip.If(package is null && Environment.GetEnvironmentVariable("CI") != "true", "TcWorker.Testing is not packed; run ./test.sh first");
        Assert.NotNull(package);

        using var zip = ZipFile.OpenRead(package);
        Assert.Contains("lib/net10.0/TcWorker.Engines.Mock.dll", zip.Entries.Select(e => e.FullName));
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var text = nuspec.ReadToEnd();
        Assert.DoesNotContain("TcWorker.Engines.Mock", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.Runtime\"", text, StringComparison.Ordinal);
        Assert.Contains("id=\"TcWorker.LocalQueue\"", text, StringComparison.Ordinal);
    }
}
