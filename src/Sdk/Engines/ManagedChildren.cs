using System.Collections;
using System.Diagnostics;
using System.Reflection;

namespace TcWorker.Engines;

/// <summary>
/// Reaps zombie children of this process that <see cref="Process"/> does not track. <see cref="Process"/> waits for
/// the children it started on SIGCHLD and stops the runtime (FailFast) when one of them was reaped by someone else,
/// so an orphan may be reaped only while <see cref="Process"/> can neither start a child nor reap one: under the lock
/// that <see cref="Process.Start()"/> and its SIGCHLD handling take, and after checking its table of children. Those
/// are private to the runtime; when this runtime does not have them, nothing is reaped.
/// </summary>
internal static class ManagedChildren
{
    private const BindingFlags PrivateStatic = BindingFlags.NonPublic | BindingFlags.Static;

    private static readonly ReaderWriterLockSlim? StartLock =
        typeof(Process).GetField("s_processStartLock", PrivateStatic)?.GetValue(null) as ReaderWriterLockSlim;

    private static readonly IDictionary? Tracked =
        typeof(Process).Assembly.GetType("System.Diagnostics.ProcessWaitState")?.GetField("s_childProcessWaitStates", PrivateStatic)?.GetValue(null) as IDictionary;

    /// <summary>Whether this runtime lets orphans be reaped safely.</summary>
    public static bool CanReap => OperatingSystem.IsLinux() && StartLock is not null && Tracked is not null;

    /// <summary>Reaps every zombie child of this process that <see cref="Process"/> does not track.</summary>
    /// <returns>The ids reaped.</returns>
    public static List<int> ReapOrphans()
    {
        var reaped = new List<int>();
        if (!CanReap)
        {
            return reaped;
        }

        var self = Environment.ProcessId;
        var zombies = ProcessTable.OwnChildren().Where(e => e.IsZombie && e.ParentPid == self).ToList();
        if (zombies.Count == 0)
        {
            return reaped;
        }

        StartLock!.EnterWriteLock();
        try
        {
            lock (Tracked!)
            {
                foreach (var zombie in zombies)
                {
                    if (!Tracked.Contains(zombie.Pid) && ProcessTable.Reap(zombie))
                    {
                        reaped.Add(zombie.Pid);
                    }
                }
            }
        }
        finally
        {
            StartLock.ExitWriteLock();
        }

        return reaped;
    }
}
