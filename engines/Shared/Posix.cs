using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines.Shared;

/// <summary>The few libc calls .NET does not wrap: signals, chown, and opening a file without blocking.</summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    // Linux values (the generic ABI, identical on x64 and arm64).
    private const int LinuxNonBlock = 0x800;
    private const int LinuxCloseOnExec = 0x80000;

    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;

    public static void Chown(string path, int uid, int gid)
    {
        if (SysChown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} to {uid}:{gid} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>
    /// Opens a regular file for reading. A FIFO, socket or device is refused instead of blocking the
    /// worker in open(2) (a task could leave a FIFO where an artifact is expected).
    /// </summary>
    public static FileStream OpenRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
        }

        var fd = SysOpen(path, LinuxNonBlock | LinuxCloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"Cannot open {path} (errno {Marshal.GetLastPInvokeError()}).");
        }

        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 81920);
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new IOException($"{path} is not a regular file.");
        }

        return stream;
    }

    /// <summary>Whether a path is a regular file (not a FIFO, socket or device).</summary>
    public static bool IsRegularFile(string path)
    {
        try
        {
            OpenRegularFile(path).Dispose();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysChown(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpen(string path, int flags);
}
