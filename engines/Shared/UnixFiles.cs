using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines.Shared;

/// <summary>What a directory entry is, as seen without following a symbolic link.</summary>
internal enum EntryKind
{
    /// <summary>A FIFO, socket or device.</summary>
    Other,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link.</summary>
    SymbolicLink,
}

/// <summary>The status of one entry, as lstat gives it.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Mode">Its permission bits, set-id and sticky bits included.</param>
/// <param name="Uid">Its owner.</param>
/// <param name="Gid">Its group.</param>
/// <param name="Device">The device it lives on.</param>
/// <param name="Inode">Its inode number on that device.</param>
/// <param name="Links">How many hard links it has.</param>
/// <param name="Blocks">The 512-byte blocks it occupies.</param>
/// <param name="LastWriteTime">Its modification time.</param>
internal readonly record struct EntryStatus(EntryKind Kind, UnixFileMode Mode, int Uid, int Gid, ulong Device, ulong Inode, uint Links, long Blocks, DateTimeOffset LastWriteTime)
{
    /// <summary>The set-user-id and set-group-id bits.</summary>
    public const UnixFileMode SetIdBits = UnixFileMode.SetUser | UnixFileMode.SetGroup;

    /// <summary>Read, write and execute for user, group and others, without set-id and sticky bits.</summary>
    public const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;
}

/// <summary>
/// The file calls volumes need and .NET does not offer (Linux): status without following a link
/// (owner, inode, blocks), hard links, owners and times that never follow a link, all also relative
/// to a directory handle.
/// </summary>
internal static partial class UnixFiles
{
    private const int CurrentDirectory = -100;
    private const int NoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int LinuxNoEntry = 2;

    /// <summary>The status of <paramref name="path"/>, not following a final symbolic link; null when it does not exist.</summary>
    /// <exception cref="IOException">The status cannot be read for another reason.</exception>
    public static EntryStatus? TryStatus(string path)
    {
        var buffer = new byte[StatxSize];
        return SysStatx(CurrentDirectory, path, NoFollow, StatxBasicStats, ref buffer[0]) == 0 ? Parse(buffer) : Missing(path);
    }

    /// <summary>The status of <paramref name="name"/> in the directory <paramref name="directory"/>, not following a link; null when it is gone.</summary>
    /// <exception cref="IOException">The status cannot be read for another reason.</exception>
    public static EntryStatus? TryStatusAt(SafeFileHandle directory, string name)
    {
        var buffer = new byte[StatxSize];
        return SysStatxAt(directory, name, NoFollow, StatxBasicStats, ref buffer[0]) == 0 ? Parse(buffer) : Missing(name);
    }

    /// <summary>Makes <paramref name="path"/> a new hard link to the file <paramref name="existing"/> (neither is followed if a link).</summary>
    /// <exception cref="IOException">The link cannot be made.</exception>
    public static void HardLink(string existing, string path)
    {
        if (SysLinkAt(CurrentDirectory, existing, CurrentDirectory, path, 0) != 0)
        {
            throw new IOException($"Cannot link '{path}' to '{existing}' (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Sets the owner of <paramref name="path"/> itself (a link is not followed).</summary>
    /// <exception cref="IOException">The owner cannot be changed.</exception>
    public static void SetOwner(string path, int uid, int gid)
    {
        if (SysChownAt(CurrentDirectory, path, uid, gid, NoFollow) != 0)
        {
            throw new IOException($"Cannot change the owner of '{path}' to {uid}:{gid} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Sets the owner of <paramref name="name"/> in <paramref name="directory"/> (a link is not followed).</summary>
    /// <exception cref="IOException">The owner cannot be changed.</exception>
    public static void SetOwnerAt(SafeFileHandle directory, string name, int uid, int gid)
    {
        if (SysChownAtHandle(directory, name, uid, gid, NoFollow) != 0)
        {
            throw new IOException($"Cannot change the owner of '{name}' to {uid}:{gid} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Sets the mode of <paramref name="name"/> in <paramref name="directory"/>; the caller checked it is no link.</summary>
    /// <exception cref="IOException">The mode cannot be changed.</exception>
    public static void SetModeAt(SafeFileHandle directory, string name, UnixFileMode mode)
    {
        if (SysChmodAt(directory, name, (uint)mode, 0) != 0)
        {
            throw new IOException($"Cannot change the mode of '{name}' (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Sets the access and modification times of <paramref name="path"/> itself (a link is not followed).</summary>
    /// <exception cref="IOException">The times cannot be set.</exception>
    public static void SetLastWriteTime(string path, DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }

        Span<long> times = [seconds, rest * 100, seconds, rest * 100];
        if (SysUtimensAt(CurrentDirectory, path, ref times[0], NoFollow) != 0)
        {
            throw new IOException($"Cannot set the modification time of '{path}' (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Sets the mode of <paramref name="path"/> (a link is followed: the caller knows it is none).</summary>
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Volumes need a Unix file system.");
        }

        File.SetUnixFileMode(path, mode);
    }

    /// <summary>
    /// Creates a folder and sets exactly <paramref name="mode"/> on it, whatever the umask; it is created
    /// no wider than that, so no other user can enter it meanwhile.
    /// </summary>
    public static void CreateFolder(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Volumes need a Unix file system.");
        }

        Directory.CreateDirectory(path, mode & EntryStatus.PermissionBits);
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>The effective user and group id of the worker's process.</summary>
    public static (int Uid, int Gid) Self() => ((int)SysGetEuid(), (int)SysGetEgid());

    private static EntryStatus? Missing(string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return error == LinuxNoEntry ? null : throw new IOException($"Cannot read the status of '{path}' (errno {error}).");
    }

    private static EntryStatus Parse(byte[] buffer)
    {
        var span = buffer.AsSpan();
        var mode = MemoryMarshal.Read<ushort>(span[28..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => EntryKind.Regular,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.SymbolicLink,
            _ => EntryKind.Other,
        };
        var seconds = MemoryMarshal.Read<long>(span[112..]);
        var nanoseconds = MemoryMarshal.Read<uint>(span[120..]);
        return new EntryStatus(
            kind,
            (UnixFileMode)(mode & 0xFFF),
            (int)MemoryMarshal.Read<uint>(span[20..]),
            (int)MemoryMarshal.Read<uint>(span[24..]),
            ((ulong)MemoryMarshal.Read<uint>(span[136..]) << 32) | MemoryMarshal.Read<uint>(span[140..]),
            MemoryMarshal.Read<ulong>(span[32..]),
            MemoryMarshal.Read<uint>(span[16..]),
            (long)MemoryMarshal.Read<ulong>(span[48..]),
            DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100));
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysStatx(int directory, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysStatxAt(SafeFileHandle directory, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysLinkAt(int oldDirectory, string oldPath, int newDirectory, string newPath, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysChownAt(int directory, string path, int uid, int gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysChownAtHandle(SafeFileHandle directory, string path, int uid, int gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysChmodAt(SafeFileHandle directory, string path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysUtimensAt(int directory, string path, ref long times, int flags);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint SysGetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint SysGetEgid();
}
