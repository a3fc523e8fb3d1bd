using System.CommandLine;
using TcWorker.Cli.Local;

namespace TcWorker.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var taskFile = new Argument<FileInfo?>("TASKFILE") { Description = "A task definition, or just its payload, in YAML or JSON.", Arity = ArgumentArity.ZeroOrOne };
        var config = CommonOptions.Config(required: false);
        config.Description = "A worker config (YAML or JSON); without it, the native engine with every plugin that needs no outside service. With --with-worker-runner, the config worker-runner wrote.";
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Where to write the task log and artifacts (default: ./tc-worker-out)." };
        var directories = CommonOptions.PluginDirectories();
        var ui = CommonOptions.Ui();
        var withWorkerRunner = CommonOptions.WithWorkerRunner();
        var command = new Command("run", "Run one task on this machine: starts the local queue on a free loopback port, submits the task, runs the worker against it, streams the log, and writes the log and artifacts into --out. Exit codes: 0 completed, 1 failed, 2 exception (reason printed), 64 usage error, 65 invalid task file, 66 missing file, 69 engine unavailable, 78 invalid config. With --with-worker-runner (as Taskcluster's worker-runner starts generic-worker), runs as 'work' instead.")
        {
            taskFile,
            config,
            outDir,
            directories,
            ui,
            withWorkerRunner,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(withWorkerRunner))
            {
                var runnerConfig = parse.GetValue(config) ?? throw new CliException(ExitCodes.Usage, "run --with-worker-runner needs --config, the file worker-runner wrote");
                return await WorkCommand.RunAsync(runnerConfig, parse.GetValue(directories) ?? [], withWorkerRunner: true, error).ConfigureAwait(false);
            }

            var file = parse.GetValue(taskFile) ?? throw new CliException(ExitCodes.Usage, "run needs a TASKFILE (or --with-worker-runner)");
            var folder = (parse.GetValue(outDir)?.FullName) ?? Path.GetFullPath("tc-worker-out");
            await using var stdout = Console.OpenStandardOutput();
            var result = (await LocalSession.RunAsync([file.FullName], parse.GetValue(config), parse.GetValue(directories) ?? [], null, folder, stdout, error, parse.GetValue(ui)).ConfigureAwait(false)).Single();
            await error.WriteLineAsync($"tc-worker: task {result.TaskId} {result.Resolution}; log and artifacts in {result.OutputFolder}").ConfigureAwait(false);
            return result.ExitCode;
        });
        return command;
    }
}
