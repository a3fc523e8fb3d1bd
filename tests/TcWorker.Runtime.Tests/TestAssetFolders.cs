namespace TcWorker.Runtime.Tests;

/// <summary>The test assets, built as real plugin folders next to the test assembly.</summary>
internal static class TestAssetFolders
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "TestAssets", "plugins");

    public static string Folder(string name) => Path.Combine(Root, name);
}
