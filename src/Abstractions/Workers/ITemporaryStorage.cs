namespace TcWorker.Workers;

/// <summary>
/// The worker's temporary folder. Everything under it belongs to the worker; what a crashed run
/// left behind is removed at the next start. Thread-safe.
/// </summary>
public interface ITemporaryStorage
{
    /// <summary>The absolute path of the worker's temporary folder.</summary>
    string Root { get; }

    /// <summary>Creates a new, empty folder with a unique name, which only the worker's user may enter (700 on Unix).</summary>
    /// <param name="prefix">A readable prefix for the name.</param>
    /// <returns>The folder's absolute path. The caller deletes it when done.</returns>
    string CreateFolder(string prefix = "tmp");

    /// <summary>
    /// Returns a unique path for a new file; the file is not created. Create it readable by the
    /// worker's user alone (600 on Unix, e.g. <see cref="System.IO.FileStreamOptions.UnixCreateMode"/>):
    /// tasks may run as other users.
    /// </summary>
    /// <param name="prefix">A readable prefix for the name.</param>
    /// <returns>The file's absolute path. The caller deletes it when done.</returns>
    string NewFilePath(string prefix = "tmp");
}
