using TcWorker.Engines.Shared;
using TcWorker.Errors;

namespace TcWorker.Engines.Script;

/// <summary>Runs the script once and maps its exit code to the outcome.</summary>
internal sealed class ScriptSandbox(string[] command, byte[] payload, ProcessSandboxOptions options) : ProcessSandbox(options)
{
    private const int StderrLimit = 64 * 1024;
    private readonly BoundedCapture errors = new(StderrLimit);

    protected override async Task<ProcessOutcome> RunAsync(CancellationToken stopping) =>
        new(await RunProcessAsync(command, payload, errors, stopping).ConfigureAwait(false));

    /// <summary>Called once the output is drained, so that every stderr line is known.</summary>
    protected override IResultSet CreateResult(ProcessOutcome outcome, bool killed)
    {
        if (killed)
        {
            return new ProcessResultSet(Options.Workspace, ArtifactsFolder, false, null);
        }

        return outcome.ExitCode switch
        {
            null => throw new NonFatalInternalException($"The script '{command[0]}' could not be started."),
            0 or 1 => new ProcessResultSet(Options.Workspace, ArtifactsFolder, outcome.ExitCode == 0, outcome.ExitCode),
            2 => throw new MalformedPayloadException(errors.Lines() is { Count: > 0 } lines ? lines : ["The script refused the payload (exit code 2)."]),
            3 => throw new NonFatalInternalException(Describe("an internal error")),
            4 => throw new FatalInternalException(Describe("a fatal error")),
            _ => throw new NonFatalInternalException($"The script exited with the unexpected code {outcome.ExitCode}."),
        };
    }

    private string ArtifactsFolder => Path.Combine(Options.Workspace.Directory, "artifacts");

    private string Describe(string what) =>
        $"The script reported {what}" + (errors.Lines() is { Count: > 0 } lines ? ": " + string.Join(" ", lines.TakeLast(5)) : ".");
}
