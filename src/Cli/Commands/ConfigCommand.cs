using System.CommandLine;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Cli.Commands;

internal static class ConfigCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = CommonOptions.Config(required: true);
        var directories = CommonOptions.PluginDirectories();
        var check = new Command("check", "Load a worker config, apply its transforms, and validate it against the schema composed from the runtime, the enabled engines and the enabled plugins (each engine listed in engine must exist and be listed once). Lists every problem at once; exit code 78 when there is one.")
        {
            config,
            directories,
        };
        check.SetAction(parse =>
        {
            var loaded = CommonOptions.LoadConfig(parse.GetValue(config)!, error);
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? [], loaded);
            try
            {
                ConfigSchemaComposer.EnsureValid(loaded, registry);
            }
            catch (ConfigException e)
            {
                throw new CliException(ExitCodes.Config, e.Message);
            }

            var engines = loaded.Engines.Count == 1 ? "engine " + loaded.Engines[0] : "engines " + string.Join(", ", loaded.Engines);
            output.WriteLine($"{loaded.Source}: valid ({engines}; plugins {(loaded.Plugins.Count == 0 ? "none" : string.Join(", ", loaded.Plugins))})");
            return ExitCodes.Success;
        });
        return new Command("config", "Work with worker config files.") { check };
    }
}
