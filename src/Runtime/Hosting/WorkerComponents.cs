using Microsoft.Extensions.Logging;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Tasks;
using TcWorker.Workers;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// The engine and plugins a worker config enables, created once for the worker's life. Disposing
/// it disposes the plugins in reverse order, then the engine.
/// </summary>
public sealed class WorkerComponents : IAsyncDisposable
{
    private WorkerComponents(TaskRunComponents components) => Components = components;

    /// <summary>The engine and the named plugins, in config order.</summary>
    public TaskRunComponents Components { get; }

    /// <summary>
    /// Validates the config against the registry and creates the engine and plugins. Throws
    /// <see cref="ConfigException"/> listing every config problem, or naming the component whose
    /// creation failed.
    /// </summary>
    /// <param name="config">The loaded config.</param>
    /// <param name="registry">The known engines and plugins.</param>
    /// <param name="environment">The worker environment handed to each component.</param>
    /// <returns>The created components.</returns>
    public static async Task<WorkerComponents> CreateAsync(WorkerConfig config, ComponentRegistry registry, IWorkerEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(environment);
        ConfigSchemaComposer.EnsureValid(config, registry);
        registry.TryGetEngine(config.Engine, out var engineProvider, out _);
        IEngine engine;
        try
        {
            engine = engineProvider!.Create(new EngineOptions
            {
                Config = config.EngineConfig,
                Environment = environment,
                Logger = environment.LoggerFactory.CreateLogger($"TcWorker.Engines.{config.Engine}"),
            });
        }
        catch (Exception e)
        {
            throw new ConfigException(config.Source, [$"$.engine: creating the engine '{config.Engine}' failed: {e.Message}"]);
        }

        var plugins = new List<NamedPlugin>();
        try
        {
            foreach (var name in config.Plugins)
            {
                registry.TryGetPlugin(name, out var provider, out _);
                try
                {
                    plugins.Add(new NamedPlugin(name, provider!.Create(new PluginOptions
                    {
                        Config = config.PluginConfig(name),
                        Environment = environment,
                        Logger = environment.LoggerFactory.CreateLogger($"TcWorker.Plugins.{name}"),
                    })));
                }
                catch (Exception e)
                {
                    throw new ConfigException(config.Source, [$"$.plugins.{name}: creating the plugin '{name}' failed: {e.Message}"]);
                }
            }
        }
        catch
        {
            await new WorkerComponents(new TaskRunComponents(config.Engine, engine, plugins)).DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new WorkerComponents(new TaskRunComponents(config.Engine, engine, plugins));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var plugin in Components.Plugins.Reverse())
        {
            await plugin.Plugin.DisposeAsync().ConfigureAwait(false);
        }

        await Components.Engine.DisposeAsync().ConfigureAwait(false);
    }
}
