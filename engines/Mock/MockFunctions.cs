namespace TcWorker.Engines.Mock;

/// <summary>The behaviours a mock payload can choose.</summary>
internal static class MockFunctions
{
    private static readonly (string Name, string Description)[] All =
    [
        ("true", "succeeds (exit code 0)"),
        ("false", "fails (exit code 1)"),
        ("write-log", "writes the argument and a newline to the task log, then succeeds"),
        ("write-log-and-fail", "writes the argument and a newline to the task log, then fails (exit code 1)"),
        ("sleep", "sleeps for argument milliseconds, then succeeds; kill and abort end it early"),
        ("malformed-payload-after-start", "WaitForResult throws MalformedPayloadException with the argument as message"),
        ("fatal-internal-error", "WaitForResult throws FatalInternalException"),
        ("nonfatal-internal-error", "WaitForResult throws NonFatalInternalException"),
        ("print-env", "writes the value of the variable named by the argument (fails when unset), or every NAME=value when the argument is empty"),
        ("ping-proxy", "sends GET /v1/ping (or the path after 'name/') to the proxy named by the argument and logs the reply body; unsuccessful unless the status is 2xx"),
        ("ping-proxy-url", "sends GET to the proxy URL held by the variable the argument names, followed by v1/ping, and logs the reply body; unsuccessful unless the status is 2xx"),
        ("write-files", "stores the argument, a JSON object of path to content, as files of the result set, then succeeds"),
        ("write-files-then-sleep", "stores the argument's files as write-files does, then runs until killed or aborted"),
        ("exit-code", "ends with the argument as exit code (success when 0)"),
        ("write-volume", "writes a marker file into the volume mounted at the argument; fails when it is read-only"),
        ("read-volume", "succeeds when the marker file is in the volume mounted at the argument"),
        ("check-volume-files", "the argument is a JSON object {mountPoint, files: {path: content}}; succeeds when the volume mounted there holds each file with its content"),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(f => f.Name)];

    public static string Describe() => string.Join("\n", All.Select(f => $"- `{f.Name}`: {f.Description}."));
}
