namespace TcWorker.Engines.Shared;

/// <summary>
/// Copies a volume's content (or one file or folder of it) for a read-only mount: modes, times, symbolic
/// links (copied as links, never followed) and hard links between the copied files are kept; FIFOs,
/// sockets and devices are left out, and set-id and sticky bits dropped. The copy belongs to the worker's
/// user. For a task user it is made readable by others (and executable where its owner may execute it)
/// and writable by no one but the worker's user, so the task can read everything and change nothing.
/// </summary>
/// <remarks>The source is a volume at rest, which no task can reach, so it is read by path.</remarks>
internal static class ReadOnlyCopy
{
    private const UnixFileMode WriteByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>, which must not exist.</summary>
    /// <param name="source">A file or folder of a volume at rest.</param>
    /// <param name="destination">Where the copy goes.</param>
    /// <param name="forTaskUser">Whether a task user (not the worker's user) reads the copy.</param>
    /// <param name="foreign">Files with hard links outside the volume (<see cref="HostVolume.FindForeignFiles"/>), left out of the copy.</param>
    /// <param name="cancellationToken">Stops copying; what was copied stays for the caller to delete.</param>
    public static void Copy(string source, string destination, bool forTaskUser, HashSet<(ulong Device, ulong Inode)> foreign, CancellationToken cancellationToken) =>
        new Copier(forTaskUser, foreign, cancellationToken).CopyEntry(source, destination);

    /// <summary>One copy: the hard links met so far, so that linked files stay linked.</summary>
    private sealed class Copier(bool forTaskUser, HashSet<(ulong Device, ulong Inode)> foreign, CancellationToken cancellationToken)
    {
        private readonly Dictionary<(ulong, ulong), string> linked = [];

        public void CopyEntry(string source, string destination)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (UnixFiles.TryStatus(source) is not { } status || foreign.Contains((status.Device, status.Inode)))
            {
                return;
            }

            switch (status.Kind)
            {
                case EntryKind.Directory:
                    Directory.CreateDirectory(destination);
                    foreach (var entry in Directory.EnumerateFileSystemEntries(source))
                    {
                        CopyEntry(entry, Path.Combine(destination, Path.GetFileName(entry)));
                    }

                    break;
                case EntryKind.Regular when status.Links > 1 && linked.TryGetValue((status.Device, status.Inode), out var first):
                    UnixFiles.HardLink(first, destination);
                    return;
                case EntryKind.Regular:
                    File.Copy(source, destination);
                    if (status.Links > 1)
                    {
                        linked[(status.Device, status.Inode)] = destination;
                    }

                    break;
                case EntryKind.SymbolicLink:
                    File.CreateSymbolicLink(destination, new FileInfo(source).LinkTarget!);
                    UnixFiles.SetLastWriteTime(destination, status.LastWriteTime);
                    return;
                default:
                    return;
            }

            // After the content: a folder without write permission could not be filled (by a worker that is not root).
            UnixFiles.SetMode(destination, Mode(status));
            UnixFiles.SetLastWriteTime(destination, status.LastWriteTime);
        }

        private UnixFileMode Mode(EntryStatus status)
        {
            var mode = status.Mode & EntryStatus.PermissionBits;
            if (!forTaskUser)
            {
                return mode;
            }

            mode = (mode & ~WriteByOthers) | UnixFileMode.OtherRead;
            return status.Kind == EntryKind.Directory || (mode & UnixFileMode.UserExecute) != 0 ? mode | UnixFileMode.OtherExecute : mode;
        }
    }
}
