using System.CommandLine;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Documentation;
using TcWorker.Runtime.Hosting;

namespace TcWorker.Cli.Commands;

internal static class DocsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = CommonOptions.Config(required: true);
        var outFile = new Option<FileInfo>("--out", "-o") { Description = "Write the Markdown to this file instead of standard output." };
        var directories = CommonOptions.PluginDirectories();
        var command = new Command("docs", "Print Markdown for task authors: the documentation of the configured engines and plugins, the payload keys each owns (type, required, description, allowed values, default), their worker config keys, and an example payload.")
        {
            config,
            outFile,
            directories,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workerConfig = CommonOptions.LoadConfig(parse.GetValue(config)!, error);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? [], workerConfig);
            string markdown;
            await using (var sandbox = await ThrowawayEnvironment.CreateAsync(workerConfig, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await using var components = await WorkerComponents.CreateAsync(workerConfig, registry, sandbox.Environment).ConfigureAwait(false);
                    markdown = MarkdownDocs.Render(components.Components, registry);
                }
                catch (ConfigException e)
                {
                    throw new CliException(ExitCodes.Config, e.Message);
                }
            }

            if (parse.GetValue(outFile) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, markdown, cancellationToken).ConfigureAwait(false);
                await error.WriteLineAsync($"tc-worker: wrote {file.FullName}").ConfigureAwait(false);
            }
            else
            {
                await output.WriteAsync(markdown).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
