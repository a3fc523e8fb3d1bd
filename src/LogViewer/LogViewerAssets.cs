namespace TcWorker.LogViewer;

/// <summary>
/// The viewer's files: <c>log-viewer.js</c> (an ES module exporting <c>LogViewer</c>),
/// <c>log-viewer.css</c> and <c>viewer.html</c> (a page that follows the log at the relative URL
/// <c>log</c> with them). Thread-safe.
/// </summary>
public static class LogViewerAssets
{
    /// <summary>The viewer's files, to serve by name.</summary>
    public static EmbeddedFiles Files { get; } = new(typeof(LogViewerAssets).Assembly, "log-viewer/");
}
