namespace TcWorker.Shared;

/// <summary>
/// Files and folders that only the user the process runs as may use: files 600, folders 700 (or 711
/// where other users must pass through to a folder of their own below). Each is created with a mode
/// no wider than its final one and then set to exactly that mode: the umask can only have narrowed
/// it, so there is no moment in which another user could open it. Nothing changes on Windows.
/// Compiled into each package that needs it.
/// </summary>
internal static class OwnerOnly
{
    /// <summary>600: read and write for the owner.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>700: everything for the owner.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>711: other users may pass through to a folder below that is theirs, but not list or read this one.</summary>
    public const UnixFileMode PassThroughFolderMode = FolderMode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates a folder (missing parents get the usual mode) and sets <paramref name="mode"/> on it,
    /// also when it already exists.
    /// </summary>
    public static string CreateFolder(string path, UnixFileMode mode = FolderMode)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return full;
        }

        if (Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full)) is { } parent)
        {
            Directory.CreateDirectory(parent);
        }

        Directory.CreateDirectory(full, FolderMode);
        File.SetUnixFileMode(full, mode);
        return full;
    }

    /// <summary>Opens a file as <see cref="FileStream"/> does, creating it 600 (and making an existing one 600).</summary>
    /// <returns>The stream; the caller disposes it.</returns>
    public static FileStream OpenFile(string path, System.IO.FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        var settings = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, settings);
        }

        settings.UnixCreateMode = FileMode;
        var stream = new FileStream(path, settings);
        try
        {
            File.SetUnixFileMode(stream.SafeFileHandle, FileMode);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes every folder below <paramref name="folder"/> 700 and every file 600 (older versions left
    /// them readable by every local user). Symbolic links are left alone: a mode change would follow them.
    /// </summary>
    public static void RestrictContents(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options))
        {
            var wanted = entry is DirectoryInfo ? FolderMode : FileMode;
            if (entry.UnixFileMode != wanted)
            {
                entry.UnixFileMode = wanted;
            }
        }
    }
}
