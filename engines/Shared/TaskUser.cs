using System.Globalization;
using System.Security.Cryptography;

namespace TcWorker.Engines.Shared;

/// <summary>
/// A throwaway OS user for one task, named <c>tcw-&lt;random&gt;</c>, whose home is the task
/// directory. Linux (useradd/userdel) is tested; the macOS (dscl) and Windows (net user) paths are
/// present but untested.
/// </summary>
internal sealed class TaskUser
{
    public const string NamePrefix = "tcw-";

    private TaskUser(string name, int? uid, int? gid, string? password)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
        Password = password;
    }

    public string Name { get; }

    /// <summary>The numeric user id (POSIX only).</summary>
    public int? Uid { get; }

    /// <summary>The numeric primary group id (POSIX only).</summary>
    public int? Gid { get; }

    /// <summary>The password (Windows only, where a process cannot be started as a user without one).</summary>
    public string? Password { get; }

    public static async Task<TaskUser> CreateAsync(string home, CancellationToken cancellationToken)
    {
        var name = NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        if (OperatingSystem.IsLinux())
        {
            await Tool.RunCheckedAsync("useradd", ["--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--user-group", "--comment", "tc-worker task user", name], cancellationToken).ConfigureAwait(false);
            var entry = ReadPasswd().FirstOrDefault(e => e.Name == name) ?? throw new InvalidOperationException($"useradd did not create {name}.");
            return new TaskUser(name, entry.Uid, entry.Gid, null);
        }

        if (OperatingSystem.IsMacOS())
        {
            var uid = await NextMacUidAsync(cancellationToken).ConfigureAwait(false);
            var path = "/Users/" + name;
            await Tool.RunCheckedAsync("dscl", [".", "-create", path], cancellationToken).ConfigureAwait(false);
            await Tool.RunCheckedAsync("dscl", [".", "-create", path, "UniqueID", uid.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
            await Tool.RunCheckedAsync("dscl", [".", "-create", path, "PrimaryGroupID", "20"], cancellationToken).ConfigureAwait(false);
            await Tool.RunCheckedAsync("dscl", [".", "-create", path, "NFSHomeDirectory", home], cancellationToken).ConfigureAwait(false);
            await Tool.RunCheckedAsync("dscl", [".", "-create", path, "UserShell", "/bin/sh"], cancellationToken).ConfigureAwait(false);
            return new TaskUser(name, uid, 20, null);
        }

        if (OperatingSystem.IsWindows())
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)) + "aA1!";
            await Tool.RunCheckedAsync("net", ["user", name, password, "/add"], cancellationToken).ConfigureAwait(false);
            return new TaskUser(name, null, null, password);
        }

        throw new PlatformNotSupportedException("Per-task users are not supported on this platform.");
    }

    /// <summary>Kills the user's processes and deletes the user. Its files are left to the caller.</summary>
    public async Task DeleteAsync(TimeProvider time)
    {
        if (Uid is { } uid)
        {
            await new ProcessReaper(Name, uid, time).KillAllAsync().ConfigureAwait(false);
        }

        if (OperatingSystem.IsLinux())
        {
            await Tool.RunAsync("userdel", [Name]).ConfigureAwait(false);
        }
        else if (OperatingSystem.IsMacOS())
        {
            await Tool.RunAsync("dscl", [".", "-delete", "/Users/" + Name]).ConfigureAwait(false);
        }
        else if (OperatingSystem.IsWindows())
        {
            await Tool.RunAsync("net", ["user", Name, "/delete"]).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the users a crashed earlier run left: those named <c>tcw-*</c> whose home lies under
    /// <paramref name="homeRoot"/> (so that two workers on one machine never remove each other's). Linux only.
    /// </summary>
    public static async Task<int> RemoveLeftoversAsync(string homeRoot, TimeProvider time)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var prefix = Path.TrimEndingDirectorySeparator(homeRoot) + "/";
        var removed = 0;
        foreach (var entry in ReadPasswd().Where(e => e.Name.StartsWith(NamePrefix, StringComparison.Ordinal) && e.Home.StartsWith(prefix, StringComparison.Ordinal)))
        {
            await new TaskUser(entry.Name, entry.Uid, entry.Gid, null).DeleteAsync(time).ConfigureAwait(false);
            removed++;
        }

        return removed;
    }

    private static List<PasswdEntry> ReadPasswd()
    {
        var entries = new List<PasswdEntry>();
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 7 && int.TryParse(fields[2], out var uid) && int.TryParse(fields[3], out var gid))
            {
                entries.Add(new PasswdEntry(fields[0], uid, gid, fields[5]));
            }
        }

        return entries;
    }

    private static async Task<int> NextMacUidAsync(CancellationToken cancellationToken)
    {
        var output = await Tool.RunCheckedAsync("dscl", [".", "-list", "/Users", "UniqueID"], cancellationToken).ConfigureAwait(false);
        var max = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => f.Length > 1 && int.TryParse(f[^1], out var id) ? id : 0)
            .Append(600)
            .Max();
        return max + 1;
    }

    private sealed record PasswdEntry(string Name, int Uid, int Gid, string Home);
}
