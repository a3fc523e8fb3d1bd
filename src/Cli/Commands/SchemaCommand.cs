using System.CommandLine;
using Newtonsoft.Json;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Hosting;

namespace TcWorker.Cli.Commands;

internal static class SchemaCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var configOption = CommonOptions.Config(required: false);
        var directories = CommonOptions.PluginDirectories();
        var configCommand = new Command("config", "Print the JSON schema of the worker config: with --config, for the engines and plugins that file enables; without, for every engine and plugin found (point your editor at it to complete config files).")
        {
            configOption,
            directories,
        };
        configCommand.SetAction(parse =>
        {
            var file = parse.GetValue(configOption);
            var config = file is null ? null : CommonOptions.LoadConfig(file, error);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? [], config);
            var schema = config is null
                ? ConfigSchemaComposer.Compose(registry)
                : ConfigSchemaComposer.Compose(registry, config.Engines, config.Plugins.Where(p => registry.TryGetPlugin(p, out _, out _)));
            output.WriteLine(schema.ToString(Formatting.Indented));
            return ExitCodes.Success;
        });
        var payloadConfig = CommonOptions.Config(required: true);
        var payloadDirectories = CommonOptions.PluginDirectories();
        var payloadCommand = new Command("payload", "Print the JSON schema of task payloads for a worker config: the payload schemas of its engine and enabled plugins, composed (what a task author may write). With several engines, a oneOf with one branch per engine.")
        {
            payloadConfig,
            payloadDirectories,
        };
        payloadCommand.SetAction(async (parse, cancellationToken) =>
        {
            var config = CommonOptions.LoadConfig(parse.GetValue(payloadConfig)!, error);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(payloadDirectories) ?? [], config);
            output.WriteLine(await PayloadSchemaAsync(config, registry, cancellationToken).ConfigureAwait(false));
            return ExitCodes.Success;
        });
        return new Command("schema", "Print the composed JSON schemas of the worker config and the task payload.") { configCommand, payloadCommand };
    }

    /// <summary>
    /// The composed task payload schema of a worker config (indented JSON), as <c>schema payload</c>
    /// prints it and the dashboard's editor checks payloads against: the engines and plugins are
    /// created in a throwaway environment and disposed. A config problem is a <see cref="CliException"/>.
    /// </summary>
    public static async Task<string> PayloadSchemaAsync(WorkerConfig config, TcWorker.Runtime.Discovery.ComponentRegistry registry, CancellationToken cancellationToken)
    {
        await using var sandbox = await ThrowawayEnvironment.CreateAsync(config, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var components = await WorkerComponents.CreateAsync(config, registry, sandbox.Environment).ConfigureAwait(false);
            return components.Components.PayloadSchema.Schema.ToString(Formatting.Indented);
        }
        catch (ConfigException e)
        {
            throw new CliException(ExitCodes.Config, e.Message);
        }
    }
}
