using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace TcWorker.Engines;

/// <summary>
/// The control group of one task (see <see cref="ProcessContainment.CreateGroup"/>): every process started with
/// <see cref="Start"/>, and everything those fork, is in it until it ends, whatever it does to its environment,
/// session or parent. <see cref="KillAllAsync"/> kills them all in one step that no fork can outrun, and reaps
/// what became orphans. Thread-safe. Disposing kills what is left, reaps it and removes the group.
/// </summary>
/// <remarks>
/// A process running as root can move itself out of any group; containment holds against everything a task
/// running as another user can do, and against every accident (a daemon, a lost background job) of one running as root.
/// </remarks>
public sealed class TaskProcessGroup : IAsyncDisposable
{
    /// <summary>
    /// Stops itself so that the worker can move it into the group before it runs anything of the task, then becomes
    /// the task's command ($0 and the arguments after it), without the variables the shell itself exports.
    /// </summary>
    private const string Wrapper = "kill -STOP $$; {0}exec \"$0\" \"$@\"";

    /// <summary>EAGAIN: a fork refused at the group's process limit.</summary>
    private const int TryAgain = 11;

    /// <summary>What a POSIX shell adds to the environment of the commands it executes (bash also adds <c>_</c>, which it cannot be kept from).</summary>
    private static readonly string[] ShellVariables = ["PWD", "OLDPWD", "SHLVL"];
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private readonly Cgroup cgroup;
    private readonly TimeProvider time;
    private readonly SemaphoreSlim killing = new(1, 1);
    private readonly HashSet<ProcessEntry> noted = [];
    private int disposed;

    internal TaskProcessGroup(ProcessContainment owner, Cgroup cgroup, string name, int? maxProcesses, TimeProvider time)
    {
        this.cgroup = cgroup;
        this.time = time;
        Name = name;
        MaxProcesses = owner.LimitsProcesses ? maxProcesses : null;
    }

    /// <summary>The group's name, unique on the host (<c>task-</c> and 16 hex digits).</summary>
    public string Name { get; }

    /// <summary>The enforced limit on processes and threads in the group at once, or null when there is none.</summary>
    public int? MaxProcesses { get; }

    /// <summary>Whether a fork or thread creation in the group has failed because of <see cref="MaxProcesses"/>.</summary>
    public bool ProcessLimitReached => cgroup.LimitHits() > 0;

    /// <summary>
    /// Starts a process in the group. On cgroup v1 a thread of the worker enters the group and starts it there, so the
    /// process is in the group from its first instruction and <paramref name="startInfo"/> is used as it is. On v2 the
    /// process first runs <c>/bin/sh</c>, which stops itself until the worker has moved it into the group and then
    /// executes <paramref name="startInfo"/>'s file with its arguments: there <paramref name="startInfo"/> is changed
    /// (its <see cref="ProcessStartInfo.FileName"/> becomes <c>/bin/sh</c> and its <see cref="ProcessStartInfo.ArgumentList"/>
    /// gains three arguments in front), and where <c>/bin/sh</c> is bash the process also finds the variable <c>_</c>
    /// in its environment. Either way the file must be a path, not a name to find on PATH, and everything else (user,
    /// environment, redirection) applies as set.
    /// </summary>
    /// <remarks>
    /// With a process limit, the starting thread counts in the group while it is there: the limit is one higher for
    /// that moment, so the new process is never refused for the thread's sake; the task's own processes, forked
    /// within that moment, may then find one place fewer.
    /// </remarks>
    /// <param name="startInfo">How to start the process; <see cref="ProcessStartInfo.UseShellExecute"/> must be false and <see cref="ProcessStartInfo.Arguments"/> empty (use the argument list).</param>
    /// <returns>The started process, in the group, running; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="startInfo"/> uses the shell, or the argument string.</exception>
    /// <exception cref="ObjectDisposedException">The group was disposed.</exception>
    /// <exception cref="Win32Exception">The process could not be started or put into the group (it is then killed).</exception>
    public Process Start(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (startInfo.UseShellExecute || !string.IsNullOrEmpty(startInfo.Arguments))
        {
            throw new ArgumentException("A group starts processes without the shell, from an argument list.", nameof(startInfo));
        }

        return cgroup.HostsThreads ? StartInside(startInfo) : StartStoppedAndJoin(startInfo);
    }

    /// <summary>
    /// Starts the process from a thread that entered the group for that alone (and ends after it): a thread moving
    /// itself costs the kernel a fraction of a millisecond, moving another process a grace period of its global lock.
    /// Never at the same time as a kill, which would freeze the thread with the group.
    /// </summary>
    private Process StartInside(ProcessStartInfo startInfo)
    {
        killing.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            Process? process = null;
            Exception? failure = null;
            for (var attempt = 0; attempt < 2; attempt++)
            {
                (process, failure) = StartOnOwnThread(startInfo);
                int strays;
                try
                {
                    strays = cgroup.MoveOwnThreadsOut();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failure ??= e;
                    break;
                }

                // A thread the runtime created from the starting thread (the first start of a process creates its
                // signal-handling thread) counted against the limit too: once it is out, the start is tried again.
                if (!(strays > 0 && process is null && failure is Win32Exception { NativeErrorCode: TryAgain }))
                {
                    break;
                }
            }

            if (failure is null && process is not null)
            {
                return process;
            }

            Discard(process);
            throw failure switch
            {
                Win32Exception started => started,
                IOException or UnauthorizedAccessException => new Win32Exception($"{startInfo.FileName} could not be started in the task's control group {cgroup.Primary}: {failure.Message}"),
                null => new Win32Exception($"{startInfo.FileName} did not start."),
                _ => new Win32Exception(failure.Message, failure),
            };
        }
        finally
        {
            killing.Release();
        }
    }

    /// <summary>Runs <see cref="StartFromInside"/> on a thread of its own, which ends with it; returns the process or what failed.</summary>
    private (Process? Process, Exception? Failure) StartOnOwnThread(ProcessStartInfo startInfo)
    {
        Process? process = null;
        Exception? failure = null;
        var starter = new Thread(() =>
        {
            try
            {
                process = StartFromInside(startInfo);
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "Task process start",
        };
        starter.Start();
        starter.Join();
        return (process, failure);
    }

    /// <summary>On the starting thread: enters the group, starts the process, sets the limit back and leaves.</summary>
    private Process? StartFromInside(ProcessStartInfo startInfo)
    {
        cgroup.EnterThread();
        try
        {
            if (MaxProcesses is { } raised)
            {
                cgroup.SetProcessLimit(raised + 1);
            }

            Process? process = null;
            try
            {
                process = Process.Start(startInfo);
            }
            finally
            {
                if (MaxProcesses is { } max)
                {
                    try
                    {
                        cgroup.SetProcessLimit(max);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Not let go with a limit higher than the task's.
                        Discard(process);
                        throw;
                    }
                }
            }

            return process;
        }
        finally
        {
            try
            {
                cgroup.LeaveThread();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ends now, which takes it out of the group as well.
            }
        }
    }

    private static void Discard(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    /// <summary>The v2 start: the process stops itself, is moved into the group, and is let go.</summary>
    private Process StartStoppedAndJoin(ProcessStartInfo startInfo)
    {
        var target = startInfo.FileName;
        var added = ShellVariables.Where(name => !startInfo.Environment.ContainsKey(name)).ToList();
        startInfo.FileName = "/bin/sh";
        startInfo.ArgumentList.Insert(0, "-c");
        startInfo.ArgumentList.Insert(1, string.Format(CultureInfo.InvariantCulture, Wrapper, added.Count == 0 ? "" : "unset " + string.Join(' ', added) + "; "));
        startInfo.ArgumentList.Insert(2, target);
        var process = Process.Start(startInfo) ?? throw new Win32Exception($"{target} did not start.");
        try
        {
            WaitUntilStopped(process.Id, target);
            cgroup.Join(process.Id);
            // Only this worker (root) or the task's own user can continue it early; if that happened it may have run
            // outside the group, so it is not let go.
            if (ProcessTable.Read(process.Id) is not { State: 'T' })
            {
                throw new Win32Exception($"{target} was continued before it could be put into the task's control group.");
            }

            ProcessSignals.Send(process.Id, ProcessSignals.Continue);
            return process;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Win32Exception)
        {
            Discard(process);
            throw e as Win32Exception ?? new Win32Exception($"{target} could not be put into the task's control group {cgroup.Primary}: {e.Message}");
        }
    }

    /// <summary>The ids of the group's live processes (zombies excluded).</summary>
    public IReadOnlyList<int> GetProcessIds() => cgroup.Processes();

    /// <summary>Asks every process of the group to stop (SIGTERM); they may ignore it. See <see cref="KillAllAsync"/>.</summary>
    public void TerminateAll()
    {
        var members = cgroup.Processes();
        Note(members);
        foreach (var pid in members)
        {
            ProcessSignals.Send(pid, ProcessSignals.Terminate);
        }
    }

    /// <summary>
    /// Kills every process of the group (SIGKILL, in one step no fork can outrun), waits until the group is empty,
    /// and reaps what became the worker's orphans (the zombies its members had not waited for among them).
    /// The processes started with <see cref="Start"/> are left for their <see cref="Process"/> to reap.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the kill has been sent); the result is then false.</param>
    /// <returns>Whether the group is empty: false when a process is stuck in the kernel (uninterruptible sleep).</returns>
    public async Task<bool> KillAllAsync(CancellationToken cancellationToken = default)
    {
        await killing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Nothing can enter an empty group but what this worker starts (not during a kill): then there is
            // nothing to freeze and kill, as at the end of most tasks, whose processes have all ended.
            var empty = cgroup.Processes().Count == 0;
            for (var attempt = 0; attempt < 3 && !empty; attempt++)
            {
                await cgroup.KillAllAsync(Note).ConfigureAwait(false);
                empty = await WaitUntilEmptyAsync(cancellationToken).ConfigureAwait(false);
            }

            await ReapAsync(cancellationToken).ConfigureAwait(false);
            return empty;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException) when (cgroup.Processes().Count == 0)
        {
            // The group was removed meanwhile (by a later run's clean-up of leftovers): nothing is left in it.
            return true;
        }
        finally
        {
            killing.Release();
        }
    }

    /// <summary>Kills what is left in the group, reaps it and removes the group. Never throws for what the host does.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await KillAllAsync().ConfigureAwait(false);
            TryRemove();
        }
        catch (IOException)
        {
            // The hierarchy went away; nothing is left to remove.
        }
    }

    internal bool TryRemove() => cgroup.TryRemove();

    /// <summary>
    /// Notes the members and the zombies they have not waited for, with their start times, to reap them by exact
    /// identity once they are the worker's orphans (a zombie leaves the group's list, so it is noted through its parent).
    /// </summary>
    private void Note(IReadOnlyList<int> members)
    {
        // An empty group has no members to note and no zombies of members: no scan of the host's processes.
        if (members.Count == 0)
        {
            return;
        }

        var set = members.ToHashSet();
        var found = ProcessTable.All().Where(e => set.Contains(e.Pid) || (e.IsZombie && set.Contains(e.ParentPid)));
        lock (noted)
        {
            noted.UnionWith(found);
        }
    }

    private async Task<bool> WaitUntilEmptyAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + EmptyTimeout;
        while (cgroup.Processes().Count > 0)
        {
            if (time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Reaps the worker's orphans until every noted process is gone (the ones <see cref="Process"/> started are its to reap).</summary>
    private async Task ReapAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + ReapTimeout;
        while (true)
        {
            lock (noted)
            {
                // Nothing noted, nothing of this group to reap: the containment's sweep reaps any other orphan.
                if (noted.Count == 0)
                {
                    return;
                }

                ManagedChildren.ReapOrphans();
                noted.RemoveWhere(e => ProcessTable.Read(e.Pid) is not { } now || now.StartTime != e.StartTime);
                if (noted.Count == 0 || time.GetUtcNow() >= deadline)
                {
                    return;
                }
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private void WaitUntilStopped(int pid, string target)
    {
        var deadline = time.GetUtcNow() + StopTimeout;
        while (true)
        {
            switch (ProcessTable.Read(pid))
            {
                case { State: 'T' }:
                    return;
                case null or { IsZombie: true }:
                    throw new Win32Exception($"{target} ended before it could be put into the task's control group (is /bin/sh there?).");
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new Win32Exception($"{target} did not reach the point where it is put into the task's control group within {StopTimeout.TotalSeconds} s.");
            }

            Thread.Sleep(1);
        }
    }
}
