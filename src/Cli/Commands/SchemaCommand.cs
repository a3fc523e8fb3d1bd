using System.CommandLine;
using Newtonsoft.Json;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Cli.Commands;

internal static class SchemaCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var configOption = CommonOptions.Config(required: false);
        var directories = CommonOptions.PluginDirectories();
        var configCommand = new Command("config", "Print the JSON schema of the worker config: with --config, for the engine and plugins that file enables; without, for every engine and plugin found (point your editor at it to complete config files).")
        {
            configOption,
            directories,
        };
        configCommand.SetAction(parse =>
        {
            var file = parse.GetValue(configOption);
            var config = file is null ? null : CommonOptions.LoadConfig(file);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? [], config);
            var schema = config is null
                ? ConfigSchemaComposer.Compose(registry)
                : ConfigSchemaComposer.Compose(registry, config.Engine, config.Plugins.Where(p => registry.TryGetPlugin(p, out _, out _)));
            output.WriteLine(schema.ToString(Formatting.Indented));
            return ExitCodes.Success;
        });
        return new Command("schema", "Print the composed JSON schemas of the worker config and the task payload.") { configCommand };
    }
}
