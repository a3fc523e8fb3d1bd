using System.Text;

namespace TcWorker.Engines.Testing;

/// <summary>Looks at the host's processes through /proc (Linux).</summary>
internal static class HostProcesses
{
    /// <summary>A token unique to one test, to put on the command lines of the processes it starts.</summary>
    public static string UniqueSleepSeconds() => "300." + Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The live (non-zombie) processes whose command line contains <paramref name="text"/>.</summary>
    public static List<int> WithCommandLine(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && !File.ReadAllText(Path.Combine(dir, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>The live (non-zombie) processes that run as <paramref name="uid"/> (real, effective, saved or file-system user id).</summary>
    public static List<int> OfUser(int uid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                var ids = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1);
                var zombie = status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("Z (zombie)", StringComparison.Ordinal));
                if (!zombie && ids.Any(id => id.Trim() == uid.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Waits until <paramref name="count"/> processes run with <paramref name="text"/> on their command line.</summary>
    public static async Task WaitForAsync(string text, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (WithCommandLine(text).Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} processes with '{text}' did not appear.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits up to 60 s until a task user and its directory are gone (a used task user is deleted in the background, after its task).</summary>
    public static async Task WaitUntilDeletedAsync(string user, string directory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (UserExists(user) || Directory.Exists(directory))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The task user {user} or its directory {directory} was not deleted within 60 s.");
            }

            await Task.Delay(20);
        }
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Whether a user exists in /etc/passwd.</summary>
    public static bool UserExists(string name) =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));
}
