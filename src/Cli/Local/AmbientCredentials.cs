using System.Globalization;
using System.Text;

namespace TcWorker.Cli.Local;

/// <summary>
/// Forgets the <c>TASKCLUSTER_*</c> credentials the process was started with. <c>run</c> and
/// <c>local</c> never use them (the embedded queue has fresh root credentials of its own), and
/// without <c>createUser</c> tasks run as the same user as the worker, who may read the worker's
/// <c>/proc/&lt;pid&gt;/environ</c>. So the variables leave the process environment (what the worker
/// starts never inherits them) and, on Linux, their values are blanked in the environment block the
/// kernel placed at exec, which is what <c>/proc/&lt;pid&gt;/environ</c> shows. This narrows what
/// a same-user task finds lying around; it is no isolation: such a task may still read the
/// environment of the processes that started the worker, and root may read its memory.
/// </summary>
internal static class AmbientCredentials
{
    private static readonly string[] Names = ["TASKCLUSTER_CLIENT_ID", "TASKCLUSTER_ACCESS_TOKEN", "TASKCLUSTER_CERTIFICATE"];

    public static void Forget()
    {
        foreach (var name in Names)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            BlankInitialEnvironment();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or NotSupportedException)
        {
            // Best effort: a kernel without these /proc files leaves the block as it was.
        }
    }

    private static void BlankInitialEnvironment()
    {
        // Fields 50 and 51 of /proc/self/stat (counted from 1; the command name may hold spaces,
        // so count from the ')' that closes it, after which comes field 3).
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var start = long.Parse(fields[50 - 3], CultureInfo.InvariantCulture);
        var end = long.Parse(fields[51 - 3], CultureInfo.InvariantCulture);
        if (start <= 0 || end <= start || end - start > 1 << 22)
        {
            return;
        }

        using var memory = File.OpenHandle("/proc/self/mem", FileMode.Open, FileAccess.ReadWrite);
        var block = new byte[end - start];
        if (RandomAccess.Read(memory, block, start) != block.Length)
        {
            return;
        }

        var prefixes = Names.Select(name => Encoding.ASCII.GetBytes(name + "=")).ToList();
        for (var offset = 0; offset < block.Length;)
        {
            var nul = Array.IndexOf(block, (byte)0, offset);
            var length = (nul < 0 ? block.Length : nul) - offset;
            foreach (var prefix in prefixes)
            {
                if (length > prefix.Length && block.AsSpan(offset, length).StartsWith(prefix))
                {
                    // The name stays, the value becomes NULs: what libc's environ points at stays well formed.
                    RandomAccess.Write(memory, new byte[length - prefix.Length], start + offset + prefix.Length);
                }
            }

            offset += length + 1;
        }
    }
}
