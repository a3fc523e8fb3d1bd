using System.Globalization;

namespace TcWorker.Plugins.Interactive;

/// <summary>The address of Taskcluster's shell page for a socket, as generic-worker writes it into the artifact.</summary>
internal static class ShellPage
{
    /// <summary>The protocol version the page is told to speak: 2, generic-worker's.</summary>
    public const string ProtocolVersion = "2";

    /// <summary><c>&lt;rootUrl&gt;/shell/?v=2&amp;socketUrl=…&amp;taskId=…&amp;runId=…</c>.</summary>
    public static Uri Url(string rootUrl, Uri socketUrl, string taskId, int runId)
    {
        var query = string.Join('&',
            "v=" + ProtocolVersion,
            "socketUrl=" + Uri.EscapeDataString(socketUrl.AbsoluteUri),
            "taskId=" + Uri.EscapeDataString(taskId),
            "runId=" + runId.ToString(CultureInfo.InvariantCulture));
        return new Uri(rootUrl.TrimEnd('/') + "/shell/?" + query);
    }
}
