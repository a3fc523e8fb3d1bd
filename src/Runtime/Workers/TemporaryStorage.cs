using System.Security.Cryptography;
using TcWorker.Shared;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// The worker's temporary folder (task logs, per-task folders). Opening it takes an exclusive lock
/// (two workers never share one) and removes what a crashed worker left behind, but only in a folder
/// the worker created itself (it carries a marker file), so a misconfigured path never wipes someone
/// else's files. Disposing it empties the folder. Both keep the worker's record of open claims
/// (<c>.tc-worker-claims</c>), which a crashed worker leaves for the next start to resolve. On Unix the folder is 711 (other users may pass
/// through to a folder of their own below, not list it), the folders it creates are 700, and files
/// written here should be created 600. Thread-safe.
/// </summary>
public sealed class TemporaryStorage : ITemporaryStorage, IDisposable
{
    /// <summary>The file that marks a folder as the worker's own; the worker holds it locked while it runs.</summary>
    public const string MarkerFileName = ".tc-worker-temporary-storage";

    private readonly FileStream marker;

    private TemporaryStorage(string root, FileStream marker)
    {
        Root = root;
        this.marker = marker;
    }

    /// <inheritdoc />
    public string Root { get; }

    /// <summary>How many files and folders (at the top of the folder) a crashed worker had left and <see cref="Open"/> removed.</summary>
    internal int RemovedAtOpen { get; private set; }

    /// <summary>
    /// Opens (creating it if needed) and empties the temporary folder. Throws
    /// <see cref="InvalidOperationException"/> when the folder is not empty and was not created by a
    /// worker, and <see cref="IOException"/> when another worker holds it.
    /// </summary>
    /// <param name="root">The folder.</param>
    /// <returns>The storage; dispose it when the worker stops.</returns>
    public static TemporaryStorage Open(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var full = Path.GetFullPath(root);
        var markerPath = Path.Combine(full, MarkerFileName);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(markerPath))
        {
            throw new InvalidOperationException(
                $"The temporary folder '{full}' is not empty and was not created by tc-worker; choose an empty or new folder.");
        }

        // 711: per-task users (an engine's createUser) must pass through to their own folders below,
        // but no other user may list the folder or read what the worker keeps here.
        OwnerOnly.CreateFolder(full, OwnerOnly.PassThroughFolderMode);
        FileStream marker;
        try
        {
            marker = OwnerOnly.OpenFile(markerPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"The temporary folder '{full}' is in use by another worker; give each worker its own temporaryFolder. ({e.Message})", e);
        }

        marker.SetLength(0);
        marker.Write("This folder belongs to tc-worker and is emptied when it starts and stops.\n"u8);
        marker.Flush();
        var storage = new TemporaryStorage(full, marker);
        storage.RemovedAtOpen = storage.RemoveLeftovers();
        return storage;
    }

    /// <inheritdoc />
    public string CreateFolder(string prefix = "tmp") => OwnerOnly.CreateFolder(NewFilePath(prefix));

    /// <inheritdoc />
    public string NewFilePath(string prefix = "tmp") => Path.Combine(Root, $"{Sanitize(prefix)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");

    /// <summary>Removes everything in the folder but the marker, then releases it.</summary>
    public void Dispose()
    {
        RemoveLeftovers();
        marker.Dispose();
    }

    private int RemoveLeftovers()
    {
        var removed = 0;
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos().Where(e => e.Name is not (MarkerFileName or Worker.ClaimRecord.FileName)))
        {
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

                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Files a per-task user still holds are the engine's to remove; keep going.
            }
        }

        return removed;
    }

    private static string Sanitize(string? prefix)
    {
        var clean = new string((prefix ?? string.Empty).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(40).ToArray());
        return clean.Length == 0 ? "tmp" : clean;
    }
}
