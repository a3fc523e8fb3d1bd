using System.CommandLine;
using System.Web;
using TcWorker.Cli.Shell;

namespace TcWorker.Cli.Commands;

/// <summary><c>tc-worker shell TASKID [--run N]</c>: a terminal on a running task's interactive shell.</summary>
internal static class ShellCommand
{
    /// <summary>The artifact the interactive plugin creates (generic-worker's name).</summary>
    public const string ArtifactName = "private/generic-worker/shell.html";

    public static Command Create(TextWriter error)
    {
        var taskId = new Argument<string>("TASKID");
        var run = new Option<int?>("--run") { Description = "The run (default: the latest)." };
        var command = new Command("shell", $"Open a shell in a running task that asked for features.interactive, in this terminal (raw mode; the remote shell's exit code is tc-worker's). Reads {ArtifactName} with TASKCLUSTER_ROOT_URL, TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN.")
        {
            taskId,
            run,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(taskId)!;
            var runId = parse.GetValue(run);
            Uri page;
            using (var client = QueueCommand.ClientFromEnvironment())
            {
                var artifact = await QueueCommand.Call(() => runId is { } r
                    ? client.Queue.GetArtifactAsync(id, r, ArtifactName, cancellationToken)
                    : client.Queue.GetLatestArtifactAsync(id, ArtifactName, cancellationToken)).ConfigureAwait(false);
                page = new Uri(artifact.Url);
            }

            var query = HttpUtility.ParseQueryString(page.Query);
            if (query["v"] != "2" || !Uri.TryCreate(query["socketUrl"], UriKind.Absolute, out var socketUrl) || socketUrl.Scheme is not ("ws" or "wss"))
            {
                throw new CliException(ExitCodes.DataError, $"{ArtifactName} of task {id} does not lead to a version 2 shell (it points to {page.GetLeftPart(UriPartial.Path)})");
            }

            return await RemoteShell.RunInTerminalAsync(socketUrl, error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
