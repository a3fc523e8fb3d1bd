using System.CommandLine;
using TcWorker.Cli.Commands;

namespace TcWorker.Cli;

/// <summary>The command line of <c>tc-worker</c>.</summary>
internal static class CliApp
{
    public static RootCommand BuildRootCommand(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("tc-worker: a plugin-extensible Taskcluster worker. Exit codes: 0 success, 1 task failed, 2 task exception, 64 usage error, 65 invalid input file, 66 missing input file, 69 engine unavailable, 70 internal error, 73 some artifacts not saved, 78 invalid config.");
        root.Subcommands.Add(RunCommand.Create(output, error));
        root.Subcommands.Add(LocalCommand.Create(output, error));
        root.Subcommands.Add(WorkCommand.Create(output, error));
        root.Subcommands.Add(QueueCommand.Create(output, error));
        root.Subcommands.Add(PluginsCommand.Create(output, error));
        root.Subcommands.Add(SchemaCommand.Create(output, error));
        root.Subcommands.Add(ConfigCommand.Create(output, error));
        root.Subcommands.Add(DoctorCommand.Create(output, error));
        root.Subcommands.Add(DocsCommand.Create(output, error));
        root.Subcommands.Add(ShellCommand.Create(error));
        root.Subcommands.Add(CotCommand.Create(output));
        root.Subcommands.Add(VersionCommand.Create(output));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = BuildRootCommand(output, error);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"tc-worker: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync($"Run '{string.Join(' ', CommandPath(parsed.CommandResult.Command))} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await error.WriteLineAsync($"tc-worker: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Software;
        }
        catch (Exception e)
        {
            // A bug, not a user error: no stack trace unless asked for with TCWORKER_DEBUG=1.
            var details = Environment.GetEnvironmentVariable("TCWORKER_DEBUG") == "1" ? e.ToString() : $"{e.GetType().Name}: {e.Message} (set TCWORKER_DEBUG=1 for details)";
            await error.WriteLineAsync($"tc-worker: internal error: {details}").ConfigureAwait(false);
            return ExitCodes.Software;
        }
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new Stack<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Push(c is RootCommand ? "tc-worker" : c.Name);
        }

        return names;
    }
}

/// <summary>A failure the user can act on: printed without a stack trace, with an exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
