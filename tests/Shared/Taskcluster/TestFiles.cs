namespace TcWorker.Tests.Shared;

/// <summary>
/// Finds the files tests need outside the test output: the repository root, the official
/// Taskcluster API files (references, schemas, test vectors) and the node test server.
/// Missing files skip the test locally and fail it on CI (CI=true).
/// </summary>
internal static class TestFiles
{
    public const string ApiDirVariable = "TCWORKER_TASKCLUSTER_API_DIR";

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The taskcluster-api folder: $TCWORKER_TASKCLUSTER_API_DIR, else ../shared/taskcluster-api next to the repository.</summary>
    public static string ApiDir =>
        Environment.GetEnvironmentVariable(ApiDirVariable) is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "taskcluster-api"));

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A file below the taskcluster-api folder; skips (locally) or fails (CI) the test when it is missing.</summary>
    public static string Api(string relativePath)
    {
        var path = Path.Combine(ApiDir, relativePath);
        Require(File.Exists(path), $"{path} is missing. These are the official Taskcluster API references, schemas and test vectors " +
            $"(taskcluster/taskcluster at v106, MPL-2.0): put them at ../shared/taskcluster-api next to the repository or point {ApiDirVariable} at them.");
        return path;
    }

    /// <summary>Reads a JSON file below the taskcluster-api folder, date strings left as strings.</summary>
    public static async Task<Newtonsoft.Json.Linq.JToken> ApiJsonAsync(string relativePath)
    {
        using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(await File.ReadAllTextAsync(Api(relativePath))))
        {
            DateParseHandling = Newtonsoft.Json.DateParseHandling.None,
        };
        return await Newtonsoft.Json.Linq.JToken.ReadFromAsync(reader);
    }

    /// <summary>
    /// The content of one entry of generated/references.json (the bundle of every reference and
    /// schema), by its <c>filename</c>, e.g. <c>references/index/v1/api.json</c>: for services whose
    /// files were not split out. Skips (locally) or fails (CI) when the bundle or the entry is missing.
    /// </summary>
    public static async Task<Newtonsoft.Json.Linq.JToken> BundleEntryAsync(string filename)
    {
        var bundle = await BundleAsync.Value;
        var entry = bundle.Children<Newtonsoft.Json.Linq.JObject>().FirstOrDefault(e => (string?)e["filename"] == filename);
        Require(entry?["content"] is not null, $"generated/references.json has no entry {filename}");
        return entry!["content"]!;
    }

    private static readonly Lazy<Task<Newtonsoft.Json.Linq.JToken>> BundleAsync = new(() => ApiJsonAsync("generated/references.json"));

    /// <summary>The node folder of a test project (tests/&lt;project&gt;/node).</summary>
    public static string NodeDir(string project) => Path.Combine(RepoRoot, "tests", project, "node");

    /// <summary>Starts <c>node script args...</c> in <paramref name="dir"/>; skips (locally) or fails (CI) when node or the module is missing.</summary>
    /// <param name="dir">A node folder with its node_modules installed (test.sh runs <c>npm ci</c>).</param>
    /// <param name="module">A folder under node_modules the script needs.</param>
    public static System.Diagnostics.Process StartNode(string dir, string module, string script, params string[] arguments)
    {
        Require(Directory.Exists(Path.Combine(dir, "node_modules", module)), $"{dir}/node_modules/{module} is missing: run `npm ci` there (test.sh does).");
        var start = new System.Diagnostics.ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return System.Diagnostics.Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Require(false, "node is not on PATH: " + e.Message);
            throw;
        }
    }

    /// <summary>Skips the test unless the condition holds; on CI the test fails instead.</summary>
    public static void Require(bool condition, string message)
    {
        if (condition)
        {
            return;
        }

        if (IsCi)
        {
            Assert.Fail(message);
        }

        Skip.If(true, message);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TcWorker.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("TcWorker.slnx not found above " + AppContext.BaseDirectory);
    }
}
