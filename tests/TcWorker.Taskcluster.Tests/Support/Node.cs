using System.Diagnostics;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>Runs the scripts of the node folder (reference implementations); skips or fails when node or the modules are missing.</summary>
internal static class Node
{
    /// <summary>The permanent client the node-side tests know.</summary>
    public const string IssuerId = "project/issuer";

    /// <summary>Its access token.</summary>
    public const string IssuerToken = "issuer-token-abcdefghijklmnopqrstuvwxyz0123";

    /// <param name="module">A folder under node_modules the script needs.</param>
    public static Process Start(string module, string script, params string[] arguments)
    {
        var dir = TestFiles.NodeDir();
        TestFiles.Require(Directory.Exists(Path.Combine(dir, "node_modules", module)), $"{dir}/node_modules/{module} is missing: run `npm ci` there (test.sh does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            TestFiles.Require(false, "node is not on PATH: " + e.Message);
            throw;
        }
    }
}
