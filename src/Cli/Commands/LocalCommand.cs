using System.CommandLine;
using TcWorker.Cli.Local;

namespace TcWorker.Cli.Commands;

internal static class LocalCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var taskFiles = new Argument<FileInfo[]>("TASKFILES") { Description = "Task definitions or payloads, in YAML or JSON.", Arity = ArgumentArity.OneOrMore };
        var config = CommonOptions.Config(required: false);
        var capacity = new Option<int?>("--capacity") { Description = "How many tasks run at once (default: the config's, or 1)." };
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Where to write each task's log and artifacts, one folder per task id (default: ./tc-worker-out)." };
        var directories = CommonOptions.PluginDirectories();
        var ui = CommonOptions.Ui();
        var command = new Command("local", "Run many tasks on this machine against the local queue, then print a summary (task, state, duration, artifacts, where the logs are). Exit codes: 0 all completed, 1 some failed, 2 some ended in an exception.")
        {
            taskFiles,
            config,
            capacity,
            outDir,
            directories,
            ui,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(capacity) is < 1)
            {
                throw new CliException(ExitCodes.Usage, "--capacity must be at least 1");
            }

            var folder = (parse.GetValue(outDir)?.FullName) ?? Path.GetFullPath("tc-worker-out");
            var files = parse.GetValue(taskFiles)!.Select(f => f.FullName).ToList();
            var results = await LocalSession.RunAsync(files, parse.GetValue(config), parse.GetValue(directories) ?? [], parse.GetValue(capacity), folder, null, error, parse.GetValue(ui)).ConfigureAwait(false);
            WriteSummary(output, results);
            return results.Max(r => r.ExitCode);
        });
        return command;
    }

    private static void WriteSummary(TextWriter output, IReadOnlyList<LocalResult> results)
    {
        string[] header = ["TASK", "FILE", "STATE", "DURATION", "ARTIFACTS", "OUTPUT"];
        var rows = results.Select(r => new[] { r.TaskId, Path.GetFileName(r.File), r.Resolution, LocalSession.Format(r.Duration), r.Artifacts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), r.OutputFolder }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(row => row[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(widths[i])));
        output.WriteLine(Line(header));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row));
        }
    }
}
