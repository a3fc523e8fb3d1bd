using System.Security.Cryptography;
using System.Text;

namespace TcWorker.Engines;

/// <summary>
/// Holds every process a task starts in something the task cannot leave: a per-task control group (cgroup v2, or
/// the freezer and pids hierarchies of cgroup v1), found when the containment is created. One per engine; each task
/// gets its <see cref="TaskProcessGroup"/> from <see cref="CreateGroup"/>. A process's environment, session, parent
/// or open files do not matter: its group is where the kernel put it, and every child it forks starts there too.
/// </summary>
/// <remarks>
/// <para>
/// On Linux the worker process also becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so orphans of a task are
/// re-parented to it rather than to init (which may not reap them: a container's first process rarely does), and
/// it reaps them: once a second, and when a group is killed until every process that was in it is gone. It never
/// reaps a child that <see cref="System.Diagnostics.Process"/> started, whose exit code belongs to its <c>Process</c>:
/// it checks the runtime's table of those children under the runtime's own lock, and where this runtime has no
/// such table it does not become a subreaper (orphans then go to init, as without containment).
/// </para>
/// <para>
/// Control groups need root (or a delegated hierarchy) and Linux. When none can be used, <see cref="Kind"/> is
/// <see cref="ProcessContainmentKind.None"/>, <see cref="Description"/> says why, and <see cref="CreateGroup"/>
/// throws: the engine must fall back on its own means and say so. Thread-safe. Dispose it with the engine: it stops
/// the orphan sweep (it does not touch running groups).
/// </para>
/// </remarks>
public sealed class ProcessContainment : IDisposable
{
    private const string RootName = "tcworker";
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private readonly CgroupHost? host;
    private readonly TimeProvider time;
    private readonly ITimer? sweep;

    private ProcessContainment(CgroupHost? host, string description, bool subreaper, TimeProvider time)
    {
        this.host = host;
        this.time = time;
        Description = description;
        IsSubreaper = subreaper;
        if (subreaper)
        {
            sweep = time.CreateTimer(_ => ManagedChildren.ReapOrphans(), null, SweepInterval, SweepInterval);
        }
    }

    /// <summary>What holds the tasks' processes on this host.</summary>
    public ProcessContainmentKind Kind => host?.Kind ?? ProcessContainmentKind.None;

    /// <summary>Whether a group's process limit is enforced (the pids controller is there); without it a limit given to <see cref="CreateGroup"/> is ignored.</summary>
    public bool LimitsProcesses => host?.Limits ?? false;

    /// <summary>For the engine's start-up log: which hierarchies hold the groups, or why none can.</summary>
    public string Description { get; }

    /// <summary>Whether this process became a child subreaper (Linux), so that the tasks' orphans are re-parented to it and reaped.</summary>
    internal bool IsSubreaper { get; }

    /// <summary>
    /// Finds the control groups this host offers and makes this process a child subreaper (Linux). Never throws for
    /// what the host lacks: <see cref="Kind"/> then says <see cref="ProcessContainmentKind.None"/>.
    /// </summary>
    /// <param name="scope">
    /// Names the worker's own groups, so that two workers on one host never touch each other's: use something that
    /// stays the same across restarts of one worker and differs between workers, such as its task folder's path. It
    /// is hashed into the groups' path.
    /// </param>
    /// <param name="time">The clock of the orphan sweep and of the waits; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The containment; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="scope"/> is empty.</exception>
    public static ProcessContainment Create(string scope, TimeProvider? time = null) => Create(scope, time, preferUnified: false);

    /// <summary>As <see cref="Create(string, TimeProvider?)"/>; <paramref name="preferUnified"/> picks cgroup v2 on a host that mounts both.</summary>
    internal static ProcessContainment Create(string scope, TimeProvider? time, bool preferUnified)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        time ??= TimeProvider.System;
        if (!OperatingSystem.IsLinux())
        {
            return new ProcessContainment(null, "control groups are a Linux feature", subreaper: false, time);
        }

        var hashed = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..16];
        var host = CgroupHost.Detect(Path.Combine(RootName, hashed), preferUnified, time, out var description);
        return new ProcessContainment(host, description, ManagedChildren.CanReap && ProcessSignals.BecomeSubreaper(), time);
    }

    /// <summary>
    /// Creates the control group of one task, with at most <paramref name="maxProcesses"/> processes (and threads)
    /// in it at once where <see cref="LimitsProcesses"/>. Its processes start with <see cref="TaskProcessGroup.Start"/>.
    /// </summary>
    /// <param name="maxProcesses">The limit, at least 1; null for none.</param>
    /// <returns>The group; the caller disposes it, which kills what is left in it and removes it.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Kind"/> is <see cref="ProcessContainmentKind.None"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxProcesses"/> is less than 1.</exception>
    /// <exception cref="IOException">The group could not be created (the hierarchy was unmounted or is full).</exception>
    public TaskProcessGroup CreateGroup(int? maxProcesses = null)
    {
        if (maxProcesses is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxProcesses));
        }

        var cgroups = host ?? throw new InvalidOperationException("No control group is available: " + Description);
        var name = "task-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var cgroup = cgroups.Group(name);
        try
        {
            cgroup.Create(maxProcesses);
        }
        catch (UnauthorizedAccessException e)
        {
            cgroup.TryRemove();
            throw new IOException($"Cannot create the control group {cgroup.Primary}: {e.Message}", e);
        }
        catch (IOException)
        {
            cgroup.TryRemove();
            throw;
        }

        return new TaskProcessGroup(this, cgroup, name, maxProcesses, time);
    }

    /// <summary>
    /// Kills and removes the groups a previous run of this worker (same scope) left: after a crash, what its tasks
    /// still ran. Call it once at start-up, before the first <see cref="CreateGroup"/>.
    /// </summary>
    /// <returns>How many groups were removed.</returns>
    public async Task<int> RemoveLeftoversAsync()
    {
        if (host is null)
        {
            return 0;
        }

        var removed = 0;
        foreach (var name in host.ExistingGroups())
        {
            var leftover = new TaskProcessGroup(this, host.Group(name), name, null, time);
            await using (leftover.ConfigureAwait(false))
            {
                if (await leftover.KillAllAsync().ConfigureAwait(false) && leftover.TryRemove())
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    /// <summary>
    /// Stops the orphan sweep and removes the worker's folder of groups when it is empty. Groups keep working; their
    /// disposal still reaps what they held.
    /// </summary>
    public void Dispose()
    {
        sweep?.Dispose();
        host?.TryRemoveScope();
    }
}
