using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines.Shared;

/// <summary>
/// A pseudo-terminal pair (Linux): the worker keeps the master; the slave's path is opened by the
/// shell it starts. Disposing closes the master, which hangs up the slave.
/// </summary>
internal sealed partial class Pty : IDisposable
{
    // Linux values (the generic ABI, identical on x64 and arm64).
    private const int ReadWrite = 2;
    private const int NoControllingTerminal = 0x100;
    private const int CloseOnExec = 0x80000;
    private const nuint SetWindowSize = 0x5414;

    private Pty(SafeFileHandle master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
    }

    /// <summary>The master side: what the shell prints is read here, what is written here is its input.</summary>
    public SafeFileHandle Master { get; }

    /// <summary>The slave's device path, such as <c>/dev/pts/3</c>.</summary>
    public string SlavePath { get; }

    /// <summary>Opens a new pair whose slave belongs to <paramref name="uid"/> (the task user), or to the worker's user when null.</summary>
    /// <exception cref="IOException">No terminal could be allocated.</exception>
    public static Pty Open(int? uid, int? gid)
    {
        var fd = PosixOpenPt(ReadWrite | NoControllingTerminal | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"No pseudo-terminal could be allocated (errno {Marshal.GetLastPInvokeError()}).");
        }

        var master = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (GrantPt(fd) != 0 || UnlockPt(fd) != 0)
            {
                throw new IOException($"The pseudo-terminal could not be unlocked (errno {Marshal.GetLastPInvokeError()}).");
            }

            var name = new byte[128];
            if (PtsNameR(fd, name, name.Length) != 0)
            {
                throw new IOException($"The pseudo-terminal has no name (errno {Marshal.GetLastPInvokeError()}).");
            }

            var path = System.Text.Encoding.UTF8.GetString(name, 0, Array.IndexOf(name, (byte)0));
            if (uid is { } owner)
            {
                // The shell opens the slave as the task user, and only that user (and the worker) may.
                Posix.Chown(path, owner, gid ?? -1);
            }

            return new Pty(master, path);
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>Sets the terminal size; the kernel sends SIGWINCH to the terminal's foreground process group.</summary>
    public void SetSize(int columns, int rows)
    {
        var size = new WindowSize { Rows = Clamp(rows), Columns = Clamp(columns) };
        if (IoctlSetWindowSize(Master, SetWindowSize, ref size) != 0)
        {
            throw new IOException($"The terminal size could not be set (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public void Dispose() => Master.Dispose();

    private static ushort Clamp(int value) => (ushort)Math.Clamp(value, 1, ushort.MaxValue);

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int PtsNameR(int fd, [Out] byte[] buffer, nint length);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlSetWindowSize(SafeFileHandle fd, nuint request, ref WindowSize size);
}
