using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Hosting;

namespace TcWorker.Cli.Commands;

/// <summary>Options several commands share, and how they turn into a registry and a config.</summary>
internal static class CommonOptions
{
    public static Option<string[]> PluginDirectories() => new("--plugin-dir")
    {
        Description = "Another directory of engine and plugin folders (repeatable); plugins/ next to the binary is always searched.",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<FileInfo> Config(bool required) => new("--config", "-c")
    {
        Description = "The worker config file (YAML or JSON).",
        Required = required,
    };

    public static Option<bool> WithWorkerRunner() => new("--with-worker-runner")
    {
        Description = "Started by Taskcluster's worker-runner: read its generic-worker-style config and speak its protocol on stdin/stdout.",
    };

    /// <summary>Loads a worker config; warns on <paramref name="error"/> when other users can read an access token in it.</summary>
    public static WorkerConfig LoadConfig(FileInfo file, TextWriter error, bool fromWorkerRunner = false)
    {
        if (!file.Exists)
        {
            throw new CliException(ExitCodes.NoInput, $"the config file {file.FullName} does not exist");
        }

        WorkerConfig config;
        try
        {
            config = WorkerConfig.Load(file.FullName, fromWorkerRunner: fromWorkerRunner);
        }
        catch (ConfigException e)
        {
            throw new CliException(ExitCodes.Config, e.Message);
        }

        ConfigFileExposure.Warn(file.FullName, fromWorkerRunner, error);
        return config;
    }

    public static ComponentRegistry BuildRegistry(IEnumerable<string> pluginDirectories, WorkerConfig? config = null, Action<ITcWorkerBuilder>? register = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = AddRegistry(services, pluginDirectories, config);
        register?.Invoke(builder);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<ComponentRegistry>();
    }

    /// <summary>Adds the runtime with the plugin directories of the command line and of the config (relative to the config file).</summary>
    public static ITcWorkerBuilder AddRegistry(IServiceCollection services, IEnumerable<string> pluginDirectories, WorkerConfig? config) => services.AddTcWorker(options =>
    {
        foreach (var directory in pluginDirectories)
        {
            options.PluginDirectories.Add(Path.GetFullPath(directory));
        }

        // Directories in a config file are relative to the file.
        var configDirectory = config is null ? null : Path.GetDirectoryName(Path.GetFullPath(config.Source));
        foreach (var directory in config?.PluginDirectories ?? [])
        {
            options.PluginDirectories.Add(configDirectory is null ? Path.GetFullPath(directory) : Path.GetFullPath(directory, configDirectory));
        }
    });

    /// <summary><c>--ui</c> of <c>run</c> and <c>local</c>: serve the local queue's dashboard.</summary>
    public static Option<bool> Ui() => new("--ui")
    {
        Description = "Serve the local queue's dashboard: its address is printed at the start (with a file holding a signed-in link), and it stays up after the tasks end until Ctrl-C.",
    };
}
