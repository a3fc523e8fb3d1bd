namespace TcWorker.Plugins.Interactive;

/// <summary>What task authors read about the plugin (<c>tc-worker docs</c>).</summary>
internal static class InteractiveDocumentation
{
    public static IReadOnlyList<DocSection> Sections { get; } =
    [
        new("Interactive shells", $$"""
            With `features.interactive: true`, the worker creates the private artifact `{{InteractivePluginProvider.ArtifactName}}`
            once the task has started. It redirects to the deployment's shell page (`<rootUrl>/shell/`), which opens a terminal in
            the running task; `tc-worker shell TASKID` opens the same shell from a terminal. Reading the artifact takes the scope
            `queue:get-artifact:{{InteractivePluginProvider.ArtifactName}}`, and the socket's address is unguessable: whoever can read
            the artifact can run commands as the task. Several shells may be open at once; all close when the task ends, and the
            address answers 404 after.

            To debug a failing task, keep it alive after the failure, for example
            `command: [[bash, -c, "./build.sh || { echo failed; sleep 3600; false; }"]]` (within `maxRunTime`), open the shell,
            look around, and cancel the task when done.
            """),
    ];
}
