using System.Globalization;

namespace TcWorker.Engines;

/// <summary>
/// One per-task control group: a folder in each hierarchy that containment uses. On cgroup v1 the freezer
/// hierarchy holds the processes and the pids hierarchy (when mounted) limits them; on v2 one folder does both.
/// </summary>
internal sealed class Cgroup
{
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private readonly string? freezer;
    private readonly string? unified;
    private readonly string? pids;
    private readonly TimeProvider time;

    private Cgroup(string? freezer, string? unified, string? pids, TimeProvider time)
    {
        this.time = time;
        this.freezer = freezer;
        this.unified = unified;
        this.pids = pids;
    }

    /// <summary>The folder whose <c>cgroup.procs</c> lists the group's processes.</summary>
    public string Primary => freezer ?? unified!;

    private IEnumerable<string> Folders => new[] { freezer, unified, pids }.OfType<string>().Distinct(StringComparer.Ordinal);

    /// <summary>A v1 group: <paramref name="freezer"/> holds it, <paramref name="pids"/> (optional) limits it.</summary>
    public static Cgroup V1(string freezer, string? pids, TimeProvider time) => new(freezer, null, pids, time);

    /// <summary>A v2 group; <paramref name="limited"/> when the pids controller is enabled for it.</summary>
    public static Cgroup V2(string folder, bool limited, TimeProvider time) => new(null, folder, limited ? folder : null, time);

    /// <summary>Creates the folders, with a process limit when one is given and the pids controller is there.</summary>
    public void Create(int? maxProcesses)
    {
        foreach (var folder in Folders)
        {
            Directory.CreateDirectory(folder);
        }

        if (maxProcesses is { } max && pids is not null)
        {
            File.WriteAllText(Path.Combine(pids, "pids.max"), max.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Moves the process <paramref name="pid"/> (and so its future children) into every folder of the group.</summary>
    public void Join(int pid)
    {
        foreach (var folder in Folders)
        {
            File.WriteAllText(Path.Combine(folder, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Whether a thread of the worker can enter the group to start a process in it (<see cref="EnterThread"/>): on
    /// cgroup v1, where the threads of one process may belong to different groups. A v2 group holds whole processes.
    /// </summary>
    public bool HostsThreads => freezer is not null;

    /// <summary>
    /// Moves the calling thread, and only it, into every folder of the group: what it forks from now on starts in the
    /// group. A thread moving itself is the one move the kernel makes without its global lock, whose every taking
    /// waits out a grace period (10 to 20 ms here) and holds up every fork of the host meanwhile.
    /// </summary>
    public void EnterThread()
    {
        foreach (var folder in Folders)
        {
            File.WriteAllText(Path.Combine(folder, "tasks"), "0");
        }
    }

    /// <summary>Moves the calling thread out of the group, into the worker's folder of groups (the parent of each folder).</summary>
    public void LeaveThread()
    {
        foreach (var folder in Folders)
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(folder)!, "tasks"), "0");
        }
    }

    /// <summary>
    /// Moves the threads of this process that are in the group out of it (into the worker's folder of groups): a thread
    /// the runtime created while a thread of the worker was in the group starts there too.
    /// </summary>
    /// <returns>How many were moved.</returns>
    public int MoveOwnThreadsOut()
    {
        var moved = 0;
        foreach (var folder in Folders)
        {
            foreach (var line in File.ReadLines(Path.Combine(folder, "tasks")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var tid) && Directory.Exists("/proc/self/task/" + line))
                {
                    File.WriteAllText(Path.Combine(Path.GetDirectoryName(folder)!, "tasks"), tid.ToString(CultureInfo.InvariantCulture));
                    moved++;
                }
            }
        }

        return moved;
    }

    /// <summary>Sets the group's process limit (pids.max), where the pids controller is there.</summary>
    public void SetProcessLimit(int maxProcesses)
    {
        if (pids is not null)
        {
            File.WriteAllText(Path.Combine(pids, "pids.max"), maxProcesses.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The ids of the processes in the group (zombies are no longer listed), never this process's own.</summary>
    /// <remarks>On v1 a group lists the process of every thread in it: this one's while it starts a process there.</remarks>
    public List<int> Processes()
    {
        var self = Environment.ProcessId;
        var found = new HashSet<int>();
        foreach (var folder in Folders)
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(folder, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != self)
                    {
                        found.Add(pid);
                    }
                }
            }
            catch (IOException)
            {
                // Removed meanwhile: nothing left in it.
            }
        }

        return [.. found];
    }

    /// <summary>How many times a fork failed because the group was at its process limit (pids.events).</summary>
    public long LimitHits()
    {
        if (pids is null)
        {
            return 0;
        }

        try
        {
            foreach (var line in File.ReadLines(Path.Combine(pids, "pids.events")))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == "max" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var hits))
                {
                    return hits;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>
    /// Sends SIGKILL to every process of the group in one step no fork can outrun: cgroup.kill on v2; elsewhere the
    /// group is frozen (a frozen process cannot fork), every member killed, and the group thawed so the kills land.
    /// </summary>
    /// <param name="frozenMembers">Called with the members while they are frozen (before the kill), to note who they were.</param>
    public async Task KillAllAsync(Action<IReadOnlyList<int>> frozenMembers)
    {
        var kill = unified is null ? null : Path.Combine(unified, "cgroup.kill");
        var frozen = await FreezeAsync(true).ConfigureAwait(false);
        var members = Processes();
        frozenMembers(members);
        if (kill is not null && File.Exists(kill))
        {
            File.WriteAllText(kill, "1");
        }
        else
        {
            foreach (var pid in members)
            {
                ProcessSignals.Send(pid, ProcessSignals.Kill);
            }
        }

        if (frozen)
        {
            await FreezeAsync(false).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the group's folders (it must be empty). Returns false when one is still busy.</summary>
    public bool TryRemove()
    {
        var removed = true;
        foreach (var folder in Folders)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder);
                }
            }
            catch (IOException)
            {
                removed = false;
            }
        }

        return removed;
    }

    /// <summary>Freezes or thaws the group and waits until the kernel says it is so. False when it did not happen in time.</summary>
    private async Task<bool> FreezeAsync(bool freeze)
    {
        string file, expected;
        if (freezer is not null)
        {
            file = Path.Combine(freezer, "freezer.state");
            expected = freeze ? "FROZEN" : "THAWED";
            File.WriteAllText(file, expected);
        }
        else
        {
            var control = Path.Combine(unified!, "cgroup.freeze");
            if (!File.Exists(control))
            {
                return false;
            }

            File.WriteAllText(control, freeze ? "1" : "0");
            file = Path.Combine(unified!, "cgroup.events");
            expected = freeze ? "frozen 1" : "frozen 0";
        }

        var deadline = time.GetUtcNow() + FreezeTimeout;
        while (time.GetUtcNow() < deadline)
        {
            if (File.ReadAllText(file).Contains(expected, StringComparison.Ordinal))
            {
                return true;
            }

            await Task.Delay(PollInterval, time).ConfigureAwait(false);
        }

        return false;
    }
}
