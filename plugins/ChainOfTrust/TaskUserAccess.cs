using System.Runtime.InteropServices;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>
/// Whether a task's user could read the signing key. A process engine's task directory lives on the host, in the
/// worker's temporary folder, and belongs to the user the task runs as: a user of its own with <c>createUser</c>,
/// the worker's own user without. That user can read the key when it is root, when it owns the key file (and its
/// owner may read it), or when the file's group or other bits grant reading. Engines whose task directory is not a
/// host folder of the worker (a container's) are judged by the group and other bits alone.
/// </summary>
internal static partial class TaskUserAccess
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>Why the task's user could read the key, or <see langword="null"/> when it could not.</summary>
    /// <param name="keyPath">The signing key file.</param>
    /// <param name="workingDirectory">The task's working directory as the engine gave it.</param>
    /// <param name="temporaryFolder">The worker's temporary folder.</param>
    public static string? WhyReadable(string keyPath, string? workingDirectory, string temporaryFolder)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var keyMode = File.GetUnixFileMode(keyPath);
        if ((keyMode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            return $"this worker's signing key '{keyPath}' is readable by other users (mode {Convert.ToString((int)keyMode, 8)})";
        }

        if (workingDirectory is null || !IsBelow(workingDirectory, temporaryFolder) || Owner(workingDirectory) is not { } taskUser)
        {
            return null;
        }

        if (taskUser == 0)
        {
            return "the task would run as root, who can read any file";
        }

        return taskUser == Owner(keyPath) && (keyMode & UnixFileMode.UserRead) != 0
            ? $"the task would run as the user that owns this worker's signing key '{keyPath}' (uid {taskUser}); give each task a user of its own (the native engine's createUser)"
            : null;
    }

    private static bool IsBelow(string path, string folder)
    {
        var full = Path.GetFullPath(path);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>The owner of a file (following links); null when it cannot be read, or off Linux.</summary>
    private static int? Owner(string path)
    {
        // struct statx has the same layout on every Linux architecture: stx_uid is at offset 20.
        var buffer = new byte[256];
        return OperatingSystem.IsLinux() && SysStatx(AtFdCwd, path, 0, StatxBasicStats, ref buffer[0]) == 0
            ? (int)MemoryMarshal.Read<uint>(buffer.AsSpan(20))
            : null;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysStatx(int directory, string path, int flags, uint mask, ref byte buffer);
}
