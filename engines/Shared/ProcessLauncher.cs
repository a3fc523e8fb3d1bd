using System.ComponentModel;
using System.Diagnostics;

namespace TcWorker.Engines.Shared;

/// <summary>Starts a task's processes: no shell, a from-scratch environment, optionally as the task user.</summary>
internal static class ProcessLauncher
{
    /// <summary>
    /// Finds the executable for <paramref name="command"/> the way execvp would with the task's PATH
    /// (not the worker's): a name with a slash is taken relative to the working directory.
    /// </summary>
    /// <returns>The absolute path, or null when there is no such executable.</returns>
    public static string? Resolve(string command, string workingDirectory, string? path)
    {
        if (string.IsNullOrEmpty(command))
        {
            return null;
        }

        if (command.Contains('/', StringComparison.Ordinal) || command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(command, workingDirectory);
            return File.Exists(full) ? full : null;
        }

        foreach (var dir in (path ?? TaskEnvironment.DefaultPath).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var directory = Path.GetFullPath(dir, workingDirectory);
            foreach (var candidate in Candidates(Path.Combine(directory, command)))
            {
                if (File.Exists(candidate) && IsExecutable(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Starts a process with stdin, stdout and stderr redirected (stdin is never the worker's own), in <paramref name="group"/> unless null.</summary>
    /// <exception cref="Win32Exception">The process could not be started (not executable, user switch failed, not put into its group).</exception>
    public static Process Start(string executable, IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, TaskUser? user, TaskProcessGroup? group = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        if (user is not null)
        {
            info.UserName = user.Name;
            if (OperatingSystem.IsWindows() && user.Password is { } password)
            {
                info.PasswordInClearText = password;
                info.LoadUserProfile = false;
            }
        }

        return group is not null ? group.Start(info) : Process.Start(info) ?? throw new Win32Exception($"{executable} did not start.");
    }

    private static IEnumerable<string> Candidates(string path)
    {
        yield return path;
        if (OperatingSystem.IsWindows() && !Path.HasExtension(path))
        {
            yield return path + ".exe";
            yield return path + ".cmd";
            yield return path + ".bat";
        }
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows() ||
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
