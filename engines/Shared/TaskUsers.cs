using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Creates and deletes the task users whose homes lie under one folder. Linux (useradd/userdel) is
/// tested; the macOS (dscl) and Windows (net user) paths are present but untested. Thread-safe:
/// accounts are changed one at a time.
/// </summary>
/// <remarks>
/// A user id must never pass to a new task while anything of its previous owner may remain: such a
/// process could read the new task's environment from /proc and change its files. So on Linux the id
/// is chosen here rather than by useradd (which gives the next account the id just freed): in rotation
/// through the range login.defs gives regular users, skipping ids that have an account, a live process,
/// or are quarantined. A task user gets no subordinate ids, so it can map no other id into a user
/// namespace of its own. An id is quarantined for the lifetime of this object when its processes could
/// not all be killed or its account could not be deleted; the account is then kept, so that nothing
/// else takes the id, and removed with the other leftovers when the engine next starts.
/// </remarks>
internal sealed partial class TaskUsers
{
    private const int CreateAttempts = 5;
    private const int DeleteAttempts = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
    private readonly string homeRoot;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly ToolRunner runTool;
    private readonly int firstUid;
    private readonly int lastUid;
    private readonly SemaphoreSlim accounts = new(1, 1);
    private readonly HashSet<int> quarantined = [];
    private int nextUid;

    /// <param name="homeRoot">The folder under which the users' homes (the task directories) lie.</param>
    /// <param name="logger">Where failures to delete a user are reported.</param>
    /// <param name="time">The clock.</param>
    /// <param name="runTool">Runs useradd, userdel and the like; <see cref="Tool.RunAsync"/> unless a test replaces it.</param>
    /// <param name="uidRange">The user ids to hand out; the regular users' range of /etc/login.defs unless given.</param>
    public TaskUsers(string homeRoot, ILogger logger, TimeProvider time, ToolRunner? runTool = null, (int First, int Last)? uidRange = null)
    {
        this.homeRoot = homeRoot;
        this.logger = logger;
        this.time = time;
        this.runTool = runTool ?? Tool.RunAsync;
        (firstUid, lastUid) = uidRange ?? RegularUserIds();

        // A random start, so that a restarted worker does not begin where the last one did.
        nextUid = firstUid + RandomNumberGenerator.GetInt32(lastUid - firstUid + 1);
    }

    /// <summary>Whether a user id is kept from new task users (its last owner could not be removed completely).</summary>
    public bool IsQuarantined(int uid)
    {
        lock (quarantined)
        {
            return quarantined.Contains(uid);
        }
    }

    /// <summary>Creates a user whose home is <paramref name="home"/>.</summary>
    /// <exception cref="InvalidOperationException">The account could not be created.</exception>
    public async Task<TaskUser> CreateAsync(string home, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux())
        {
            return await CreateLinuxUserAsync(home, cancellationToken).ConfigureAwait(false);
        }

        var name = NewName();
        if (OperatingSystem.IsMacOS())
        {
            var uid = await NextMacUidAsync(cancellationToken).ConfigureAwait(false);
            var path = "/Users/" + name;
            await RunCheckedAsync("dscl", [".", "-create", path], cancellationToken).ConfigureAwait(false);
            await RunCheckedAsync("dscl", [".", "-create", path, "UniqueID", Format(uid)], cancellationToken).ConfigureAwait(false);
            await RunCheckedAsync("dscl", [".", "-create", path, "PrimaryGroupID", "20"], cancellationToken).ConfigureAwait(false);
            await RunCheckedAsync("dscl", [".", "-create", path, "NFSHomeDirectory", home], cancellationToken).ConfigureAwait(false);
            await RunCheckedAsync("dscl", [".", "-create", path, "UserShell", "/bin/sh"], cancellationToken).ConfigureAwait(false);
            return new TaskUser(name, uid, 20, null);
        }

        if (OperatingSystem.IsWindows())
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)) + "aA1!";
            await RunCheckedAsync("net", ["user", name, password, "/add"], cancellationToken).ConfigureAwait(false);
            return new TaskUser(name, null, null, password);
        }

        throw new PlatformNotSupportedException("Per-task users are not supported on this platform.");
    }

    /// <summary>Adds a task user to groups that exist on the host (Linux, usermod); the user leaves them when deleted.</summary>
    /// <exception cref="InvalidOperationException">usermod failed, with its reason.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public async Task AddToGroupsAsync(TaskUser user, IReadOnlyList<string> groups)
    {
        if (groups.Count == 0)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Adding task users to groups is implemented on Linux only.");
        }

        var failure = await RunRetriedAsync(["usermod", "--append", "--groups", string.Join(',', groups), user.Name], CreateAttempts).ConfigureAwait(false);
        if (failure is not null)
        {
            throw new InvalidOperationException($"usermod could not add {user.Name} to the groups {string.Join(", ", groups)}: {failure}");
        }
    }

    /// <summary>
    /// Kills the user's processes and deletes the user; its files are left to the caller. Never throws:
    /// a failure is logged and quarantines the user id (see the remarks on the class).
    /// </summary>
    public async Task DeleteAsync(TaskUser user)
    {
        if (user.Uid is { } uid && !await new ProcessReaper(null, user, time).KillAllAsync().ConfigureAwait(false))
        {
            Quarantine(uid);
            LogProcessesSurvived(logger, user.Name, uid);
            return;
        }

        IReadOnlyList<string> command =
            OperatingSystem.IsLinux() ? ["userdel", user.Name] :
            OperatingSystem.IsMacOS() ? ["dscl", ".", "-delete", "/Users/" + user.Name] :
            OperatingSystem.IsWindows() ? ["net", "user", user.Name, "/delete"] :
            [];
        if (command.Count == 0)
        {
            return;
        }

        var failure = await RunRetriedAsync(command, DeleteAttempts).ConfigureAwait(false);
        if (failure is not null)
        {
            if (user.Uid is { } id)
            {
                Quarantine(id);
            }

            LogDeleteFailed(logger, user.Name, user.Uid, failure);
        }
    }

    /// <summary>
    /// Removes the users a crashed or failed earlier run left: those named <c>tcw-*</c> whose home lies
    /// under the home folder (so that two workers on one machine never remove each other's). Linux only.
    /// </summary>
    /// <returns>How many leftover users were found.</returns>
    public async Task<int> RemoveLeftoversAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var prefix = Path.TrimEndingDirectorySeparator(homeRoot) + "/";
        var leftovers = Passwd.Read().Where(e => e.Name.StartsWith(TaskUser.NamePrefix, StringComparison.Ordinal) && e.Home.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var entry in leftovers)
        {
            await DeleteAsync(new TaskUser(entry.Name, entry.Uid, entry.Gid, null)).ConfigureAwait(false);
        }

        return leftovers.Count;
    }

    private async Task<TaskUser> CreateLinuxUserAsync(string home, CancellationToken cancellationToken)
    {
        await accounts.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var failure = string.Empty;
            for (var attempt = 0; attempt < CreateAttempts; attempt++)
            {
                var name = NewName();
                var uid = PickUid();
                // No subordinate ids (/etc/subuid, /etc/subgid): with newuidmap on the host, a range would let the task
                // own files as 65,536 more ids, which the next task user is given once this one is deleted.
                var (exitCode, output) = await runTool(
                    "useradd",
                    ["--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--user-group", "--uid", Format(uid), "--comment", "tc-worker task user", "--key", "SUB_UID_COUNT=0", "--key", "SUB_GID_COUNT=0", name],
                    cancellationToken).ConfigureAwait(false);
                if (exitCode == 0)
                {
                    var entry = Passwd.Read().FirstOrDefault(e => e.Name == name) ?? throw new InvalidOperationException($"useradd did not create {name}.");
                    return new TaskUser(name, entry.Uid, entry.Gid, null);
                }

                // Another program took the id meanwhile, or held the lock on the account files: try again.
                failure = Describe(exitCode, output);
                await Task.Delay(RetryDelay, time, cancellationToken).ConfigureAwait(false);
            }

            throw new InvalidOperationException($"useradd failed {CreateAttempts} times; the last time with {failure}");
        }
        finally
        {
            accounts.Release();
        }
    }

    /// <summary>The next id in rotation that has no account, no process and is not quarantined.</summary>
    private int PickUid()
    {
        var taken = Passwd.Read().Select(e => e.Uid).ToHashSet();
        taken.UnionWith(ProcessReaper.UsersWithProcesses());
        lock (quarantined)
        {
            taken.UnionWith(quarantined);
        }

        var count = lastUid - firstUid + 1;
        for (var i = 0; i < count; i++)
        {
            var uid = firstUid + ((nextUid - firstUid + i) % count);
            if (!taken.Contains(uid))
            {
                nextUid = uid == lastUid ? firstUid : uid + 1;
                return uid;
            }
        }

        throw new InvalidOperationException($"No user id from {firstUid} to {lastUid} is free for a task user.");
    }

    /// <summary>Runs a command up to <paramref name="attempts"/> times until it succeeds; returns null, or the last failure.</summary>
    private async Task<string?> RunRetriedAsync(IReadOnlyList<string> command, int attempts)
    {
        await accounts.WaitAsync().ConfigureAwait(false);
        try
        {
            string? failure = null;
            for (var attempt = 0; attempt < attempts; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(RetryDelay, time).ConfigureAwait(false);
                }

                var (exitCode, output) = await runTool(command[0], command.Skip(1).ToList(), CancellationToken.None).ConfigureAwait(false);
                if (exitCode == 0)
                {
                    return null;
                }

                failure = Describe(exitCode, output);
            }

            return failure;
        }
        finally
        {
            accounts.Release();
        }
    }

    private async Task<string> RunCheckedAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await runTool(fileName, arguments, cancellationToken).ConfigureAwait(false);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed with {Describe(exitCode, output)}");
    }

    private void Quarantine(int uid)
    {
        lock (quarantined)
        {
            quarantined.Add(uid);
        }
    }

    private async Task<int> NextMacUidAsync(CancellationToken cancellationToken)
    {
        var output = await RunCheckedAsync("dscl", [".", "-list", "/Users", "UniqueID"], cancellationToken).ConfigureAwait(false);
        var max = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => f.Length > 1 && int.TryParse(f[^1], out var id) ? id : 0)
            .Append(600)
            .Max();
        return max + 1;
    }

    /// <summary>UID_MIN and UID_MAX of /etc/login.defs, or their usual defaults.</summary>
    private static (int First, int Last) RegularUserIds()
    {
        var (first, last) = (1000, 60000);
        try
        {
            foreach (var line in File.ReadLines("/etc/login.defs"))
            {
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    first = fields[0] == "UID_MIN" ? value : first;
                    last = fields[0] == "UID_MAX" ? value : last;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No login.defs (macOS, Windows, a minimal image): the defaults.
        }

        return last > first ? (first, last) : (1000, 60000);
    }

    private static string NewName() => TaskUser.NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Describe(int exitCode, string output) => $"exit code {exitCode}: {output.Trim()}";

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "Task user {User} (uid {Uid}) still has processes that could not be killed; the account is kept and its uid is not given to another task")]
    private static partial void LogProcessesSurvived(ILogger logger, string user, int uid);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Task user {User} (uid {Uid}) could not be deleted ({Reason}); its uid is not given to another task, and the account is removed when the engine next starts")]
    private static partial void LogDeleteFailed(ILogger logger, string user, int? uid, string reason);

    /// <summary>The entries of /etc/passwd.</summary>
    private sealed record Passwd(string Name, int Uid, int Gid, string Home)
    {
        public static List<Passwd> Read()
        {
            var entries = new List<Passwd>();
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length >= 7 && int.TryParse(fields[2], out var uid) && int.TryParse(fields[3], out var gid))
                {
                    entries.Add(new Passwd(fields[0], uid, gid, fields[5]));
                }
            }

            return entries;
        }
    }
}
