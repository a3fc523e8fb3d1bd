using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Idmapped bind mounts (Linux 5.12 and later, on file systems that support them: ext4, xfs, btrfs, tmpfs
/// since 6.3): a volume's folder, owned on disk by <see cref="VolumeStore.RestOwnerId"/>, appears inside a
/// task directory owned by that task's user, and what the task creates there is written to disk as owned by
/// the rest owner. Nothing changes owner on disk, whatever the number of files. Every mount is
/// <c>nosuid</c> and <c>nodev</c>. A mount lives in the host's mount table until <see cref="Detach"/>;
/// <see cref="DetachAllUnder"/> removes leftovers before a folder is deleted.
/// </summary>
internal static partial class IdMappedMounts
{
    // The generic syscall numbers of the new mount API: identical on x64 and arm64.
    private const nint OpenTreeCall = 428;
    private const nint MoveMountCall = 429;
    private const nint MountSetAttributesCall = 442;
    private const int CurrentDirectory = -100;
    private const uint OpenTreeClone = 1;
    private const uint CloseOnExec = 0x80000;
    private const uint EmptyPath = 0x1000;
    private const uint MoveFromEmptyPath = 0x4;
    private const ulong AttributeReadOnly = 0x1;
    private const ulong AttributeNoSetId = 0x2;
    private const ulong AttributeNoDevices = 0x4;
    private const ulong AttributeIdMap = 0x100000;
    private const int DetachLazily = 2;
    private const int NoFollow = 8;
    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether this host can make idmapped mounts of folders in <paramref name="folder"/> (tried once, nothing mounted).</summary>
    public static bool Probe(string folder, out string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "not Linux";
            return false;
        }

        try
        {
            using var mapping = CreateMapping(VolumeStore.RestOwnerId, VolumeStore.RestOwnerId);
            using var tree = Clone(folder);
            SetAttributes(tree, AttributeIdMap | AttributeNoSetId | AttributeNoDevices, mapping);
            reason = string.Empty;
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>
    /// A user namespace mapping the rest owner (user and group) to <paramref name="uid"/> and <paramref name="gid"/>,
    /// as a handle for <see cref="Mount"/>. The namespace is made by a short-lived <c>unshare --user</c> child.
    /// </summary>
    /// <exception cref="IOException">The namespace could not be made.</exception>
    public static SafeFileHandle CreateMapping(int uid, int gid)
    {
        var info = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--user", "--", "sleep", "60" })
        {
            info.ArgumentList.Add(argument);
        }

        using var helper = Process.Start(info) ?? throw new IOException("unshare could not be started.");
        try
        {
            var own = new FileInfo("/proc/self/ns/user").LinkTarget;
            var clock = Stopwatch.StartNew();
            var path = $"/proc/{helper.Id}/ns/user";
            while (new FileInfo(path).LinkTarget == own)
            {
                if (helper.HasExited || clock.Elapsed > HelperTimeout)
                {
                    throw new IOException($"unshare --user did not make a user namespace ({helper.StandardError.ReadToEnd().Trim()}).");
                }

                Thread.Sleep(1);
            }

            File.WriteAllText($"/proc/{helper.Id}/uid_map", Line(VolumeStore.RestOwnerId, uid));
            File.WriteAllText($"/proc/{helper.Id}/gid_map", Line(VolumeStore.RestOwnerId, gid));
            var fd = SysOpen(path, (int)CloseOnExec);
            return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure("open " + path);
        }
        finally
        {
            helper.Kill();
            helper.WaitForExit();
        }
    }

    /// <summary>
    /// Mounts <paramref name="source"/> (a folder or file) at <paramref name="target"/> (an existing empty
    /// folder, or file), idmapped through <paramref name="mapping"/> when one is given, read-only if asked.
    /// </summary>
    /// <exception cref="IOException">The mount failed.</exception>
    public static void Mount(string source, string target, SafeFileHandle? mapping, bool readOnly)
    {
        using var tree = Clone(source);
        var attributes = AttributeNoSetId | AttributeNoDevices | (readOnly ? AttributeReadOnly : 0) | (mapping is null ? 0 : AttributeIdMap);
        SetAttributes(tree, attributes, mapping);
        if (SysMoveMount(MoveMountCall, (int)tree.DangerousGetHandle(), string.Empty, CurrentDirectory, target, MoveFromEmptyPath) != 0)
        {
            throw Failure("move_mount to " + target);
        }
    }

    /// <summary>Detaches the mount at <paramref name="target"/>; nothing happens when there is none.</summary>
    public static void Detach(string target) => _ = SysUnmount(target, DetachLazily | NoFollow);

    /// <summary>Detaches every mount at or below <paramref name="folder"/>, deepest first, so that deleting the folder never reaches into a volume.</summary>
    public static void DetachAllUnder(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var top = Path.TrimEndingDirectorySeparator(folder);
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/mountinfo");
        }
        catch (IOException)
        {
            return;
        }

        var under = lines
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 4)
            .Select(f => Unescape(f[4]))
            .Where(p => p == top || p.StartsWith(top + "/", StringComparison.Ordinal))
            .OrderByDescending(p => p.Length);
        foreach (var mountPoint in under)
        {
            Detach(mountPoint);
        }
    }

    private static SafeFileHandle Clone(string path)
    {
        var fd = SysOpenTree(OpenTreeCall, CurrentDirectory, path, OpenTreeClone | CloseOnExec);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure("open_tree " + path);
    }

    private static void SetAttributes(SafeFileHandle tree, ulong set, SafeFileHandle? mapping)
    {
        var attributes = new MountAttributes { Set = set, UserNamespace = mapping is null ? 0 : (ulong)mapping.DangerousGetHandle() };
        if (SysMountSetAttributes(MountSetAttributesCall, (int)tree.DangerousGetHandle(), string.Empty, EmptyPath, ref attributes, (nuint)Marshal.SizeOf<MountAttributes>()) != 0)
        {
            throw Failure("mount_setattr");
        }
    }

    private static string Line(int inside, int outside) => string.Create(CultureInfo.InvariantCulture, $"{inside} {outside} 1\n");

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) => field.Contains('\\', StringComparison.Ordinal)
        ? System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString())
        : field;

    private static IOException Failure(string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpenTree(nint number, int directory, string path, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysMoveMount(nint number, int fromDirectory, string fromPath, int toDirectory, string toPath, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysMountSetAttributes(nint number, int directory, string path, uint flags, ref MountAttributes attributes, nuint size);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysUnmount(string target, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SysOpen(string path, int flags);

    /// <summary>struct mount_attr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttributes
    {
        public ulong Set;
        public ulong Clear;
        public ulong Propagation;
        public ulong UserNamespace;
    }
}
