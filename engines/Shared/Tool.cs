using System.Diagnostics;

namespace TcWorker.Engines.Shared;

/// <summary>Runs a system tool and returns its exit code and its output (stdout, then stderr).</summary>
internal delegate Task<(int ExitCode, string Output)> ToolRunner(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken);

/// <summary>Runs a system tool (useradd, dscl, net) and captures its output.</summary>
internal static class Tool
{
    /// <inheritdoc cref="ToolRunner"/>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }
}
