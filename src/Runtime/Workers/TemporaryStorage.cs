using System.Security.Cryptography;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// The worker's temporary folder. Opening it takes an exclusive lock (two workers never share one)
/// and removes whatever a crashed earlier worker left there; disposing it removes everything.
/// </summary>
public sealed class TemporaryStorage : ITemporaryStorage, IDisposable
{
    private const string LockName = ".tc-worker.lock";
    private readonly FileStream lockFile;

    private TemporaryStorage(string root, FileStream lockFile)
    {
        Root = root;
        this.lockFile = lockFile;
    }

    /// <inheritdoc />
    public string Root { get; }

    /// <summary>
    /// Opens the folder, creating it if needed, and removes what an earlier run left there. Throws
    /// <see cref="IOException"/> naming the folder when another worker holds it.
    /// </summary>
    /// <param name="root">The folder.</param>
    /// <returns>The storage; dispose it when the worker stops.</returns>
    public static TemporaryStorage Open(string root)
    {
        root = Path.GetFullPath(root);
        Directory.CreateDirectory(root);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(root, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e)
        {
            throw new IOException($"The temporary folder {root} is in use by another worker; give each worker its own temporaryFolder. ({e.Message})", e);
        }

        var storage = new TemporaryStorage(root, lockFile);
        storage.RemoveLeftovers();
        return storage;
    }

    /// <inheritdoc />
    public string CreateFolder(string prefix = "tmp")
    {
        var path = Path.Combine(Root, $"{Sanitize(prefix)}-{Random()}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <inheritdoc />
    public string NewFilePath(string prefix = "tmp") => Path.Combine(Root, $"{Sanitize(prefix)}-{Random()}");

    /// <summary>Removes everything in the folder, then releases it.</summary>
    public void Dispose()
    {
        RemoveLeftovers();
        lockFile.Dispose();
    }

    private void RemoveLeftovers()
    {
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos())
        {
            if (entry.Name == LockName)
            {
                continue;
            }

            try
            {
                if (entry is DirectoryInfo directory && !entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Files owned by a per-task user that still runs are the engine's to remove; keep going.
            }
        }
    }

    private static string Random() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static string Sanitize(string prefix) =>
        new(prefix.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').Take(40).ToArray());
}
