using System.Globalization;
using System.Runtime.InteropServices;

namespace TcWorker.Engines;

/// <summary>One process as /proc/PID/stat shows it: enough to tell a zombie, its parent and (with the start time) the process from a later one that reuses its id.</summary>
internal readonly record struct ProcessEntry(int Pid, char State, int ParentPid, ulong StartTime)
{
    public bool IsZombie => State is 'Z' or 'X';
}

/// <summary>Reads the host's processes through /proc (Linux), and reaps zombie children of this process.</summary>
internal static partial class ProcessTable
{
    private const int WaitNoHang = 1;

    /// <summary>Whether the kernel lists each thread's children (CONFIG_PROC_CHILDREN).</summary>
    private static readonly bool HasChildLists = File.Exists("/proc/thread-self/children");

    /// <summary>The status of one process, or null when it is gone.</summary>
    public static ProcessEntry? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces and parentheses.
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 19
            && int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent)
            && ulong.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            ? new ProcessEntry(pid, fields[0][0], parent, start)
            : null;
    }

    /// <summary>Every process of the host (Linux).</summary>
    public static List<ProcessEntry> All()
    {
        var all = new List<ProcessEntry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } entry)
            {
                all.Add(entry);
            }
        }

        return all;
    }

    /// <summary>
    /// This process's children, zombies included, as the kernel lists them per thread (/proc/self/task/TID/children):
    /// a few small reads where <see cref="All"/> reads the status of every process of the host. Every process of the
    /// host where the kernel keeps no such list.
    /// </summary>
    public static List<ProcessEntry> OwnChildren()
    {
        if (!HasChildLists)
        {
            var self = Environment.ProcessId;
            return [.. All().Where(e => e.ParentPid == self)];
        }

        var children = new List<ProcessEntry>();
        foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string list;
            try
            {
                list = File.ReadAllText(Path.Combine(thread, "children"));
            }
            catch (IOException)
            {
                // The thread ended; its children went to another thread of this process, listed there or in the next look.
                continue;
            }

            foreach (var id in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } entry)
                {
                    children.Add(entry);
                }
            }
        }

        return children;
    }

    /// <summary>
    /// Reaps <paramref name="entry"/> if it still is that zombie child of this process (same start time), without
    /// blocking. Never call it for a process that <see cref="System.Diagnostics.Process"/> started (see <see cref="ManagedChildren"/>).
    /// </summary>
    /// <returns>Whether it was reaped.</returns>
    public static bool Reap(ProcessEntry entry)
    {
        var now = Read(entry.Pid);
        return now is { IsZombie: true } current
            && current.StartTime == entry.StartTime
            && current.ParentPid == Environment.ProcessId
            && SysWaitPid(entry.Pid, out _, WaitNoHang) == entry.Pid;
    }

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int SysWaitPid(int pid, out int status, int options);
}
