using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// The worker's temporary folder (task logs, downloads, per-task folders). Opening it removes what
/// a crashed worker left behind, but only in a folder the worker created itself (it carries a
/// marker file), so a misconfigured path never wipes someone else's files. Thread-safe.
/// </summary>
internal sealed class TemporaryStorage : ITemporaryStorage
{
    /// <summary>The file that marks a folder as the worker's own.</summary>
    public const string MarkerFileName = ".tc-worker-temporary-storage";

    private TemporaryStorage(string root) => Root = root;

    public string Root { get; }

    /// <summary>
    /// Opens (creating it if needed) and empties the temporary folder. Throws
    /// <see cref="InvalidOperationException"/> when the folder exists, is not empty, and was not
    /// created by a worker.
    /// </summary>
    public static TemporaryStorage Open(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var full = Path.GetFullPath(root);
        var marker = Path.Combine(full, MarkerFileName);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(marker))
        {
            throw new InvalidOperationException(
                $"The temporary folder '{full}' is not empty and was not created by tc-worker; choose an empty or new folder.");
        }

        Directory.CreateDirectory(full);
        foreach (var entry in Directory.EnumerateFileSystemEntries(full).Where(e => Path.GetFileName(e) != MarkerFileName).ToArray())
        {
            if (Directory.Exists(entry) && !File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        File.WriteAllText(marker, "This folder belongs to tc-worker and is emptied when it starts.\n");
        return new TemporaryStorage(full);
    }

    public string CreateFolder(string prefix = "tmp") => Directory.CreateDirectory(NewFilePath(prefix)).FullName;

    public string NewFilePath(string prefix = "tmp") => Path.Combine(Root, $"{Sanitize(prefix)}-{Guid.NewGuid():N}");

    private static string Sanitize(string prefix)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var clean = new string((prefix ?? string.Empty).Select(c => invalid.Contains(c) || c == '.' ? '_' : c).ToArray());
        return clean.Length == 0 ? "tmp" : clean;
    }
}
