using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Finds and kills every process a task started, including those that left the process tree
/// (<c>setsid</c>, double fork, re-parented to init). On Linux a process belongs to the task when
/// its initial environment carries the task's marker variable (inherited by every descendant that
/// does not clear its environment on exec), or, with a per-task user, when it runs as that user.
/// Elsewhere (untested) the started process trees are killed, and the user's processes with pkill.
/// With the task's control group (<see cref="TaskProcessGroup"/>) its members are the task's processes, whatever
/// their environment, and the group kills them all at once; the marker is then not used.
/// </summary>
/// <remarks>
/// A scan of /proc takes longer than a fork: a chain of processes that each start the next and exit
/// can outrun any loop of scans and kills, and even be missed by every scan. So with a task user,
/// each pass starts with a helper process that runs as that user and sends SIGKILL to every process
/// of the user at once (<c>kill(-1)</c>), which the kernel does atomically with respect to fork; then
/// what a scan still finds is stopped (SIGSTOP) and killed. Passes repeat until a scan finds nothing.
/// Without a task user only the scans remain, and a fast enough chain can still escape them.
/// </remarks>
internal sealed class ProcessReaper
{
    /// <summary>The environment variable that marks a task's processes.</summary>
    public const string MarkerVariable = "TCW_SANDBOX_ID";

    private const int EnvironBufferSize = 16 * 1024;
    private const int MaxKillPasses = 500;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan KillPassInterval = TimeSpan.FromMilliseconds(10);
    private readonly byte[]? markerEntry;
    private readonly TaskUser? user;
    private readonly int? uid;
    private readonly TimeProvider time;
    private readonly List<Process> roots = [];
    private readonly TaskProcessGroup? group;

    /// <param name="markerValue">The value of <see cref="MarkerVariable"/> in the task's environment, or null to find the user's processes only.</param>
    /// <param name="user">The task user, whose every process belongs to the task; null when the task runs as the worker's user.</param>
    /// <param name="time">The clock.</param>
    /// <param name="group">The task's control group, which then takes the marker's place; null for none.</param>
    public ProcessReaper(string? markerValue, TaskUser? user, TimeProvider time, TaskProcessGroup? group = null)
    {
        this.group = group;
        markerEntry = markerValue is null || group is not null ? null : Encoding.UTF8.GetBytes($"{MarkerVariable}={markerValue}\0");
        this.user = user;
        uid = user?.Uid;
        this.time = time;
    }

    /// <summary>Remembers a started process (the fallback where /proc is not available).</summary>
    public void Track(Process process)
    {
        lock (roots)
        {
            roots.Add(process);
        }
    }

    /// <summary>Lists the ids of the task's live processes.</summary>
    public List<int> FindProcesses()
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        if (group is not null)
        {
            found.AddRange(group.GetProcessIds());
            if (uid is null)
            {
                return found;
            }
        }

        var self = Environment.ProcessId;
        // One buffer for the whole scan, read with plain libc calls: reading every process's environ
        // through .NET's file APIs (a new array, a status call and a lock per file, an exception per
        // process that ended meanwhile) was most of the scan's cost.
        var buffer = ArrayPool<byte>.Shared.Rent(EnvironBufferSize);
        try
        {
            ScanProc(self, found, ref buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return found;
    }

    private void ScanProc(int self, List<int> found, ref byte[] buffer)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self)
            {
                continue;
            }

            try
            {
                // The zombie check last: /proc/PID/stat is the costliest file to read, and every task's
                // end scans every process of the machine (a zombie's environ reads empty anyway).
                if ((MatchesUid(dir) || MatchesMarker(dir, ref buffer)) && !IsZombie(dir))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked at it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read, hence not the task's (the task runs as us or as a user we can read as root).
            }
        }
    }

    /// <summary>
    /// Asks every task process to stop (SIGTERM), waits up to <paramref name="grace"/> for them to
    /// go, then kills what is left (SIGKILL) until none remains.
    /// </summary>
    /// <returns>Whether no task process is left (see <see cref="KillAllAsync"/>).</returns>
    public async Task<bool> TerminateAllAsync(TimeSpan grace)
    {
        // The group notes who its members (and their zombies) are, to reap them once they are orphans.
        group?.TerminateAll();
        var pids = FindProcesses();
        if (pids.Count > 0)
        {
            foreach (var pid in pids)
            {
                Posix.Kill(pid, Posix.SigTerm);
            }

            var deadline = time.GetUtcNow() + grace;
            while (pids.Count > 0 && time.GetUtcNow() < deadline)
            {
                await Task.Delay(PollInterval, time).ConfigureAwait(false);
                pids = FindProcesses();
            }
        }

        // An empty scan proves nothing against a process that keeps forking, nor where /proc is missing:
        // then the kill always runs.
        if (pids.Count == 0 && user is null && group is null && OperatingSystem.IsLinux())
        {
            return true;
        }

        return await KillAllAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Kills every task process with SIGKILL, pass after pass, until a full scan finds none (children
    /// forked meanwhile included).
    /// </summary>
    /// <returns>
    /// Whether none is left. False after <see cref="MaxKillPasses"/> passes that each found some (a process
    /// in uninterruptible sleep cannot be killed; the bound keeps it from hanging the worker). Where /proc is
    /// missing (untested platforms) the answer is true once the kill was attempted.
    /// </returns>
    public async Task<bool> KillAllAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            await KillWithoutProcAsync().ConfigureAwait(false);
            return true;
        }

        // The group kills every member at once; the passes below then only deal with the task user's processes.
        if (group is not null && !await group.KillAllAsync().ConfigureAwait(false))
        {
            return false;
        }

        for (var pass = 0; pass < MaxKillPasses; pass++)
        {
            // The sweep comes before the scan: a scan may miss a process that keeps forking, the sweep cannot.
            if (user is not null)
            {
                await KillEveryProcessOfUserAsync(user).ConfigureAwait(false);
            }

            var pids = FindProcesses();
            if (pids.Count == 0)
            {
                return true;
            }

            // Stopped first: a stopped process cannot fork, so what the scan found cannot hand over to a child
            // between the scan and the kill.
            foreach (var pid in pids)
            {
                Posix.Kill(pid, Posix.SigStop);
            }

            foreach (var pid in pids)
            {
                Posix.Kill(pid, Posix.SigKill);
            }

            await Task.Delay(KillPassInterval, time).ConfigureAwait(false);
        }

        return FindProcesses().Count == 0;
    }

    /// <summary>The ids of the users that have live processes (real, effective, saved or file-system id). Linux only.</summary>
    public static HashSet<int> UsersWithProcesses()
    {
        var users = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            try
            {
                users.UnionWith(StatusUids(dir));
            }
            catch (IOException)
            {
                // The process ended while we looked at it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return users;
    }

    /// <summary>
    /// Runs <c>kill -KILL -1</c> as the task user: the kernel then signals every process that user may
    /// signal (all of its own, but not the caller) in one sweep that no fork can escape. Best effort: the
    /// scan of the next pass tells whether it worked.
    /// </summary>
    private static async Task KillEveryProcessOfUserAsync(TaskUser user)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            UserName = user.Name,
            WorkingDirectory = "/",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("kill -KILL -1");
        info.Environment.Clear();
        try
        {
            using var helper = Process.Start(info);
            if (helper is not null)
            {
                helper.StandardInput.Close();
                await helper.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // The account is gone or cannot be switched to; the SIGSTOP and SIGKILL of each pass remain.
        }
    }

    private async Task KillWithoutProcAsync()
    {
        Process[] started;
        lock (roots)
        {
            started = [.. roots];
        }

        foreach (var process in started)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        if (uid is { } id && !OperatingSystem.IsWindows())
        {
            await Tool.RunAsync("pkill", ["-KILL", "-U", id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        }
    }

    private static bool IsZombie(string dir)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        var close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
    }

    private bool MatchesUid(string dir) => uid is { } expected && StatusUids(dir).Contains(expected);

    /// <summary>The real, effective, saved and file-system user ids of a process, from /proc/PID/status.</summary>
    private static IEnumerable<int> StatusUids(string dir)
    {
        foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Skip(1)
                    .Select(f => int.TryParse(f, out var u) ? u : -1).Where(u => u >= 0).ToList();
            }
        }

        return [];
    }

    private bool MatchesMarker(string dir, ref byte[] buffer)
    {
        if (markerEntry is null)
        {
            return false;
        }

        var length = Posix.ReadSmallFile(Path.Combine(dir, "environ"), ref buffer);
        if (length <= 0)
        {
            // gone, not ours to read, or a kernel thread (no environment)
            return false;
        }

        ReadOnlySpan<byte> environ = buffer.AsSpan(0, length);
        var index = environ.IndexOf(markerEntry);
        return index == 0 || (index > 0 && environ[index - 1] == 0);
    }
}
