using System.Reflection;
using PublicApiGenerator;

namespace TcWorker.Tests.ApiApproval;

/// <summary>
/// Approval of a published assembly's public API: any change, even an addition, writes a
/// .received.txt file next to the .approved.txt one and fails; approve by copying it over.
/// </summary>
internal static class PublicApi
{
    /// <summary>Fails unless the public API of <paramref name="assembly"/> matches the approved file in the calling test project's folder.</summary>
    public static void AssertApproved(Assembly assembly, Assembly testAssembly, string approvedFileName)
    {
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"] });
        var approvedPath = Path.Combine(SourceDirectory(testAssembly), approvedFileName);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        var receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt";
        if (api.ReplaceLineEndings("\n") != approved)
        {
            File.WriteAllText(receivedPath, api);
            Assert.Fail($"The public API of {assembly.GetName().Name} changed. Review {receivedPath} and, if intended, copy it over {approvedPath}.");
        }

        File.Delete(receivedPath);
    }

    // Not [CallerFilePath]: deterministic CI builds map source paths away.
    private static string SourceDirectory(Assembly testAssembly) =>
        testAssembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SourceDirectory").Value!;
}
