using System.Diagnostics;
using TcWorker.Tests.Shared;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>Runs the scripts of the node folder (reference implementations); skips or fails when node or the modules are missing.</summary>
internal static class Node
{
    /// <summary>The permanent client the node-side tests know.</summary>
    public const string IssuerId = "project/issuer";

    /// <summary>Its access token.</summary>
    public const string IssuerToken = "issuer-token-abcdefghijklmnopqrstuvwxyz0123";

    /// <param name="module">A folder under node_modules the script needs.</param>
    public static Process Start(string module, string script, params string[] arguments) =>
        TestFiles.StartNode(TestFiles.NodeDir("TcWorker.Taskcluster.Tests"), module, script, arguments);
}
