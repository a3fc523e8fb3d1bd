namespace TcWorker.Engines.Script;

/// <summary>The script engine's documentation for task authors and operators.</summary>
internal static class ScriptDocumentation
{
    public static IReadOnlyList<DocSection> Sections { get; } =
    [
        new("Payload", """
            The payload keys are those of the schema given in the engine's config (`engines.script.schema`).
            The script receives them as one JSON object on stdin.
            """),
        new("The script's interface", """
            The configured `command` runs without a shell in a fresh, empty task directory. Its environment
            is built from scratch: `HOME` (the task directory), `PATH`, `USER`, `TASK_ID`, `RUN_ID`,
            `TCW_SANDBOX_ID`, and what plugins set. Its stdout and stderr go to the task log as they are.
            Exit codes: 0 success, 1 failure, 2 malformed payload (each stderr line becomes one message),
            3 internal error for this task, 4 fatal error (the worker stops). Any other code is an internal error.
            The script runs as the user the worker runs as, with all of its authority: it must treat the
            payload as untrusted input.
            """),
        new("Artifacts", """
            Files the script leaves in `./artifacts` are the task's result: artifact paths are relative to
            that folder, and symlinks that lead outside it are refused.
            """),
        new("Processes", """
            When the script ends, is killed or aborted, every process it started gets SIGTERM and, after
            `killGracePeriodSeconds` (default 5), SIGKILL, including background and `setsid` processes.
            """),
    ];
}
