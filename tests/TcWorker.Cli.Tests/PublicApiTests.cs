using System.Runtime.Loader;
using PublicApiGenerator;

namespace TcWorker.Cli.Tests;

/// <summary>
/// The public API of every shipped package is approved. The build lists the assembly of each packable
/// project (shipped-assemblies.txt); each is described with PublicApiGenerator and compared with
/// <c>tests/*/&lt;PackageId&gt;.approved.txt</c>. Any difference, an addition too, writes a
/// <c>.received.txt</c> next to it and fails: review it and, if intended, copy it over the approved file.
/// A package without an approved file fails the same way, with its received file in the test project
/// named after it (or after the longest prefix of its id that has one).
/// </summary>
public sealed class PublicApiTests
{
    private static readonly ApiGeneratorOptions Options = new()
    {
        ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
        // The AddXxx builder extensions live in this namespace so that callers find them without a using: they are API too.
        AllowNamespacePrefixes = ["Microsoft.Extensions.DependencyInjection"],
    };

    private static readonly Lazy<Dictionary<string, ShippedAssembly>> Shipped = new(ReadShippedAssemblies);

    public static TheoryData<string> ShippedPackages => [.. Shipped.Value.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Every_packable_project_with_an_assembly_is_listed_and_nothing_else()
    {
        var ids = Shipped.Value.Keys.ToHashSet();
        foreach (var id in new[] { "TcWorker.Abstractions", "TcWorker.Taskcluster", "TcWorker.Runtime", "TcWorker.LocalQueue", "TcWorker.Testing", "TcWorker.Testing.XunitV3", "TcWorker.Engines.Mock", "TcWorker.Plugins.Env" })
        {
            Assert.Contains(id, ids);
        }

        Assert.DoesNotContain("TcWorker.Cli", ids);
        Assert.DoesNotContain("TcWorker.Templates", ids);
        var components = new[] { "engines", "plugins" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(PackageBuild.RepoRoot, folder), "*.csproj", SearchOption.AllDirectories))
            .Select(Path.GetFileNameWithoutExtension);
        Assert.Subset(ids, components.ToHashSet()!);
    }

    [Theory]
    [MemberData(nameof(ShippedPackages))]
    public void The_public_api_of_the_package_is_approved(string packageId)
    {
        var api = WithoutCallerInfo(Describe(Shipped.Value[packageId]).ReplaceLineEndings("\n"));
        var approvedPath = ApprovedPath(packageId);
        var receivedPath = approvedPath[..^".approved.txt".Length] + ".received.txt";
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : null;
        if (api == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, api);
        Assert.Fail(approved is null
            ? $"{packageId} is shipped but has no approved public API. Review {receivedPath} and copy it to {approvedPath}."
            : $"The public API of {packageId} changed. Review {receivedPath} and, if intended, copy it over {approvedPath}.");
    }

    /// <summary>
    /// xunit v3 fills its test attributes' caller-info parameters (source file and line) at compile time: where
    /// the package was built, not what it offers, so they are left out.
    /// </summary>
    private static string WithoutCallerInfo(string api) =>
        System.Text.RegularExpressions.Regex.Replace(api, @"\[Xunit\.(Fact|Theory)\(""[^""]*"", \d+\)\]", "[Xunit.$1]");

    /// <summary>
    /// PublicApiGenerator reads the file itself and looks for what it references in the file's folder, so the
    /// assembly is read from a folder that also holds (links to) everything it was compiled against.
    /// </summary>
    private static string Describe(ShippedAssembly shipped)
    {
        Assert.True(File.Exists(shipped.ReferencesFile), $"{shipped.ReferencesFile} is missing: the build of {shipped.PackageId} writes it");
        var folder = Directory.CreateTempSubdirectory("tcw-api-");
        try
        {
            foreach (var reference in File.ReadAllLines(shipped.ReferencesFile).Where(r => r.Length > 0))
            {
                var link = Path.Combine(folder.FullName, Path.GetFileName(reference));
                if (!File.Exists(link))
                {
                    File.CreateSymbolicLink(link, reference);
                }
            }

            var copy = Path.Combine(folder.FullName, Path.GetFileName(shipped.AssemblyPath));
            File.Copy(shipped.AssemblyPath, copy);
            var context = new AssemblyLoadContext("public-api", isCollectible: true);
            try
            {
                return context.LoadFromAssemblyPath(copy).GeneratePublicApi(Options);
            }
            finally
            {
                context.Unload();
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string ApprovedPath(string packageId)
    {
        var tests = Path.Combine(PackageBuild.RepoRoot, "tests");
        var found = Directory.GetFiles(tests, packageId + ".approved.txt", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(found.Count <= 1, $"{packageId} has more than one approved file: {string.Join(", ", found)}");
        if (found.Count == 1)
        {
            return found[0];
        }

        // A new package: its test project, or the one of the longest prefix of its id (plugins share TcWorker.Plugins.Tests).
        for (var id = packageId; ; id = id[..id.LastIndexOf('.')])
        {
            var project = Path.Combine(tests, id + ".Tests");
            if (Directory.Exists(project) || !id.Contains('.', StringComparison.Ordinal))
            {
                return Path.Combine(project, packageId + ".approved.txt");
            }
        }
    }

    private static Dictionary<string, ShippedAssembly> ReadShippedAssemblies()
    {
        var list = Path.Combine(AppContext.BaseDirectory, "shipped-assemblies.txt");
        Assert.True(File.Exists(list), $"{list} is missing: the build of TcWorker.Cli.Tests writes it");
        return File.ReadAllLines(list)
            .Where(l => l.Length > 0)
            .Select(l => l.Split('|'))
            .Select(p => new ShippedAssembly(p[0], p[1], p[2]))
            .ToDictionary(a => a.PackageId);
    }

    private sealed record ShippedAssembly(string PackageId, string AssemblyPath, string ReferencesFile);
}
