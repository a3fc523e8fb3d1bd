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
/// </summary>
internal sealed class ProcessReaper
{
    /// <summary>The environment variable that marks a task's processes.</summary>
    public const string MarkerVariable = "TCW_SANDBOX_ID";

    private const int EnvironBufferSize = 16 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private readonly byte[] markerEntry;
    private readonly int? uid;
    private readonly TimeProvider time;
    private readonly List<Process> roots = [];

    public ProcessReaper(string markerValue, int? uid, TimeProvider time)
    {
        MarkerValue = markerValue;
        markerEntry = Encoding.UTF8.GetBytes($"{MarkerVariable}={markerValue}\0");
        this.uid = uid;
        this.time = time;
    }

    /// <summary>The value of <see cref="MarkerVariable"/> in the task's environment.</summary>
    public string MarkerValue { get; }

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
    public async Task TerminateAllAsync(TimeSpan grace)
    {
        var pids = FindProcesses();
        if (pids.Count == 0 && !OperatingSystem.IsLinux())
        {
            await KillAllAsync().ConfigureAwait(false);
            return;
        }

        if (pids.Count == 0)
        {
            return;
        }

        foreach (var pid in pids)
        {
            Posix.Kill(pid, Posix.SigTerm);
        }

        var deadline = time.GetUtcNow() + grace;
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(PollInterval, time).ConfigureAwait(false);
            if (FindProcesses().Count == 0)
            {
                return;
            }
        }

        await KillAllAsync().ConfigureAwait(false);
    }

    /// <summary>Kills every task process with SIGKILL, rescanning until none is left (children forked meanwhile included).</summary>
    public async Task KillAllAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            await KillWithoutProcAsync().ConfigureAwait(false);
            return;
        }

        // Bounded so that a process we cannot kill (uninterruptible sleep) cannot hang the worker.
        for (var round = 0; round < 500; round++)
        {
            var pids = FindProcesses();
            if (pids.Count == 0)
            {
                return;
            }

            foreach (var pid in pids)
            {
                Posix.Kill(pid, Posix.SigKill);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), time).ConfigureAwait(false);
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

    private bool MatchesUid(string dir)
    {
        if (uid is not { } expected)
        {
            return false;
        }

        foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                return fields.Skip(1).Any(f => int.TryParse(f, out var u) && u == expected);
            }
        }

        return false;
    }

    private bool MatchesMarker(string dir, ref byte[] buffer)
    {
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
