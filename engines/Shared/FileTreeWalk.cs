using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Visits every entry below a folder through directory handles (Linux): each folder is opened from its
/// parent's handle without following a symbolic link, so a link met on the way is visited as a link and
/// never entered, and swapping a folder for a link during the walk cannot lead it elsewhere.
/// </summary>
internal static class FileTreeWalk
{
    private static readonly EnumerationOptions Listing = new() { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };

    /// <summary>
    /// Calls <paramref name="visit"/> with the handle of the folder, the name and the status of each entry
    /// below <paramref name="root"/> (the root itself excluded), a folder before what it holds.
    /// Entries that vanish during the walk are skipped.
    /// </summary>
    /// <param name="root">A folder the worker trusts (its own path is followed).</param>
    /// <param name="visit">Called for each entry.</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    public static void Walk(string root, Action<SafeFileHandle, string, EntryStatus> visit, CancellationToken cancellationToken)
    {
        using var top = Posix.OpenTrustedDirectory(root);
        Walk(top, visit, cancellationToken);
    }

    private static void Walk(SafeFileHandle folder, Action<SafeFileHandle, string, EntryStatus> visit, CancellationToken cancellationToken)
    {
        foreach (var name in Names(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (UnixFiles.TryStatusAt(folder, name) is not { } status)
            {
                continue;
            }

            visit(folder, name, status);
            if (status.Kind != EntryKind.Directory)
            {
                continue;
            }

            using var child = Posix.OpenAt(folder, name, out _);
            if (child is not null && Posix.KindOf(child) == Posix.FileKind.Directory)
            {
                Walk(child, visit, cancellationToken);
            }
        }
    }

    /// <summary>The names in an open folder, read through its handle, so the folder cannot be swapped.</summary>
    private static List<string> Names(SafeFileHandle folder)
    {
        var path = "/proc/self/fd/" + folder.DangerousGetHandle().ToInt32().ToString(CultureInfo.InvariantCulture);
        return [.. Directory.EnumerateFileSystemEntries(path, "*", Listing).Select(Path.GetFileName).OfType<string>()];
    }
}
