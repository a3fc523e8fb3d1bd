using TcWorker.Engines.Shared;

namespace TcWorker.Engines.Native;

/// <summary>
/// Runs the payload's commands in order; the first non-zero exit code stops the run. With
/// <paramref name="monitor"/>, the resource monitor watches each command.
/// </summary>
internal sealed class NativeSandbox(IReadOnlyList<string[]> commands, ProcessSandboxOptions options, ResourceMonitorSettings? monitor = null) : ProcessSandbox(options), ISandbox
{
    public Task<IShell> OpenShellAsync(IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken = default) =>
        OpenProcessShellAsync(command, tty, cancellationToken);

    protected override async Task<ProcessOutcome> RunAsync(CancellationToken stopping)
    {
        int? exitCode = 0;
        for (var i = 0; i < commands.Count && !stopping.IsCancellationRequested; i++)
        {
            Log.WriteLine($"Executing command {i}: {string.Join(' ', commands[i].Select(Quote))}");
            var watch = monitor is null ? null : ResourceMonitor.Start(monitor, Log, Options.Time, KillAsync);
            try
            {
                exitCode = await RunProcessAsync(commands[i], ReadOnlyMemory<byte>.Empty, null, stopping).ConfigureAwait(false);
            }
            finally
            {
                if (watch is not null)
                {
                    await watch.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (exitCode != 0)
            {
                if (exitCode is not null && !stopping.IsCancellationRequested)
                {
                    Log.WriteErrorLine($"Command {i} exited with code {exitCode}.");
                }

                break;
            }
        }

        return new ProcessOutcome(exitCode);
    }

    protected override IResultSet CreateResult(ProcessOutcome outcome, bool killed) =>
        new ProcessResultSet(Options.Workspace, Options.Workspace.Directory, !killed && outcome.ExitCode == 0, killed ? null : outcome.ExitCode);

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=' or ':' or ',')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
