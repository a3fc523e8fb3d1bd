using System.Runtime.InteropServices;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The few libc calls the process engines need and .NET does not wrap: signals, chown, and reading
/// the small /proc files of other processes. (Reading a task's files without escaping it lives in
/// TcWorker.Sdk's <c>ConfinedDirectory</c>; volumes use <see cref="UnixFiles"/>.)
/// </summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigStop = 19;
    public const int SigTerm = 15;

    // Linux values (the generic ABI, identical on x64 and arm64).
    private const int LinuxCloseOnExec = 0x80000;
    private const int LinuxInterrupted = 4;

    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>The effective user id of this process (Unix).</summary>
    public static int EffectiveUserId() => (int)SysGetEuid();

    public static void Chown(string path, int uid, int gid)
    {
        if (SysChown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} to {uid}:{gid} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>
    /// Reads a whole small file into <paramref name="buffer"/> (grown from the shared pool as needed)
    /// with plain open, read and close: the /proc files the process reaper reads for every process
    /// of the machine at every task's end, where .NET's file handles add a status call, a lock and
    /// exceptions for processes that are gone. Returns the length read, or -1 when the file cannot
    /// be opened or read (the process ended, or is not ours to read).
    /// </summary>
    public static int ReadSmallFile(string path, ref byte[] buffer)
    {
        var fd = SysOpen(path, LinuxCloseOnExec);
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan().CopyTo(larger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = SysRead(fd, ref buffer[length], buffer.Length - length);
                if (read < 0)
                {
                    // EINTR: try again; anything else: the process went away while we read
                    if (Marshal.GetLastPInvokeError() == LinuxInterrupted)
                    {
                        continue;
                    }

                    return -1;
                }

                if (read == 0)
                {
                    return length;
                }

                length += (int)read;
            }
        }
        finally
        {
            _ = SysClose(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint SysGetEuid();

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysChown(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint SysRead(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int SysClose(int fd);
}
