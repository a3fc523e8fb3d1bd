using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines;

/// <summary>
/// The libc calls that reading a sandbox's files needs and .NET does not wrap: opening a file without
/// blocking, and opening relative to a directory handle without following symlinks (Linux).
/// </summary>
internal static partial class Posix
{
    // Linux values (the generic ABI, identical on x64 and arm64).
    private const int LinuxNonBlock = 0x800;
    private const int LinuxCloseOnExec = 0x80000;
    private const int LinuxNoEntry = 2;
    private const int LinuxNoDevice = 6;
    private const int LinuxAccessDenied = 13;
    private const int LinuxNotDirectory = 20;
    private const int LinuxTooManyLinks = 40;
    private const int LinuxEmptyPath = 0x1000;
    private const int LinuxStatxType = 0x1;
    private const int LinuxStatxSize = 0x200;
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int PathMax = 4096;

    /// <summary>What a handle refers to.</summary>
    public enum FileKind
    {
        /// <summary>A FIFO, socket or device.</summary>
        Other,
        /// <summary>A regular file.</summary>
        Regular,
        /// <summary>A directory.</summary>
        Directory,
    }

    /// <summary>How opening one name in a directory ended.</summary>
    public enum OpenAtError
    {
        /// <summary>Opened.</summary>
        None,
        /// <summary>The name is a symbolic link (it was not followed).</summary>
        SymbolicLink,
        /// <summary>No such name (or it cannot be opened for reading: a socket).</summary>
        NotFound,
        /// <summary>Permission denied.</summary>
        AccessDenied,
        /// <summary>Any other error.</summary>
        Other,
    }

    // O_NOFOLLOW: the generic value, and the one of ARM and PowerPC.
    private static int LinuxNoFollow =>
        RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Ppc64le ? 0x8000 : 0x20000;

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

    /// <summary>Opens a directory by path, for reading (Linux). Symlinks on the way are followed: the path must be trusted.</summary>
    /// <exception cref="IOException">It cannot be opened.</exception>
    public static SafeFileHandle OpenTrustedDirectory(string path)
    {
        var fd = SysOpen(path, LinuxCloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"Cannot open {path} (errno {Marshal.GetLastPInvokeError()}).");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (KindOf(handle) != FileKind.Directory)
        {
            handle.Dispose();
            throw new IOException($"{path} is not a directory.");
        }

        return handle;
    }

    /// <summary>
    /// Opens <paramref name="name"/> (one path component) in the directory <paramref name="directory"/>
    /// for reading, never following a symlink and never blocking (Linux): <c>openat(O_NOFOLLOW | O_NONBLOCK)</c>.
    /// </summary>
    /// <returns>The handle, or null with the reason in <paramref name="error"/>.</returns>
    public static SafeFileHandle? OpenAt(SafeFileHandle directory, string name, out OpenAtError error)
    {
        var fd = SysOpenAt(directory, name, LinuxNoFollow | LinuxNonBlock | LinuxCloseOnExec);
        if (fd >= 0)
        {
            error = OpenAtError.None;
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        error = Marshal.GetLastPInvokeError() switch
        {
            LinuxTooManyLinks => OpenAtError.SymbolicLink,
            LinuxNoEntry or LinuxNotDirectory or LinuxNoDevice => OpenAtError.NotFound,
            LinuxAccessDenied => OpenAtError.AccessDenied,
            _ => OpenAtError.Other,
        };
        return null;
    }

    /// <summary>The target of the symlink <paramref name="name"/> in <paramref name="directory"/>, or null when it is not one (any more).</summary>
    public static string? ReadLinkAt(SafeFileHandle directory, string name)
    {
        var buffer = new byte[PathMax];
        var length = SysReadLinkAt(directory, name, ref buffer[0], buffer.Length);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>What an open handle refers to, and its size (fstat on the handle itself, Linux).</summary>
    /// <exception cref="IOException">The status cannot be read.</exception>
    public static (FileKind Kind, long Size) Stat(SafeFileHandle handle)
    {
        var buffer = new byte[StatxSize];
        if (SysStatx(handle, string.Empty, LinuxEmptyPath, LinuxStatxType | LinuxStatxSize, ref buffer[0]) != 0)
        {
            throw new IOException($"Cannot read the status of an open file (errno {Marshal.GetLastPInvokeError()}).");
        }

        var kind = (MemoryMarshal.Read<ushort>(buffer.AsSpan(StatxModeOffset)) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            _ => FileKind.Other,
        };
        return (kind, (long)MemoryMarshal.Read<ulong>(buffer.AsSpan(StatxSizeOffset)));
    }

    /// <summary>The kind of an open handle (see <see cref="Stat"/>).</summary>
    public static FileKind KindOf(SafeFileHandle handle) => Stat(handle).Kind;

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpenAt(SafeFileHandle directory, string name, int flags);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint SysReadLinkAt(SafeFileHandle directory, string name, ref byte buffer, nint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysStatx(SafeFileHandle directory, string path, int flags, int mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpen(string path, int flags);
}
