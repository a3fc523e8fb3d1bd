using System.Diagnostics;

namespace TcWorker.Cli.Shell;

/// <summary>
/// Puts this process's terminal in raw mode (every key goes to the remote shell as typed, Ctrl-C too, and
/// nothing is echoed locally) and restores it when disposed. Does nothing when standard input is not a terminal.
/// </summary>
internal sealed class RawTerminal : IDisposable
{
    private readonly string? saved;
    private bool restored;

    private RawTerminal(string? saved) => this.saved = saved;

    public bool IsTerminal => saved is not null;

    public static RawTerminal Enter()
    {
        if (Console.IsInputRedirected || OperatingSystem.IsWindows())
        {
            return new RawTerminal(null);
        }

        var saved = Stty("-g");
        if (saved is null)
        {
            return new RawTerminal(null);
        }

        Stty("raw", "-echo");
        return new RawTerminal(saved.Trim());
    }

    public void Dispose()
    {
        if (saved is not null && !restored)
        {
            restored = true;
            Stty(saved);
        }
    }

    /// <summary>Runs stty on the inherited terminal; returns its output, or null when it failed.</summary>
    private static string? Stty(params string[] arguments)
    {
        var info = new ProcessStartInfo("stty") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
