using Microsoft.Extensions.Logging;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Schemas;
using TcWorker.Runtime.Tasks;
using TcWorker.Workers;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// The engines and plugins a worker config enables, created once for the worker's life, and the task
/// payload schema composed from them. Disposing it disposes the plugins in reverse order, then the
/// engines in reverse order.
/// </summary>
public sealed class WorkerComponents : IAsyncDisposable
{
    private WorkerComponents(TaskRunComponents components) => Components = components;

    /// <summary>The engines and the named plugins, in config order.</summary>
    public TaskRunComponents Components { get; }

    /// <summary>
    /// Validates the config against the registry, creates every listed engine and the plugins, and
    /// composes the task payload schema. Throws <see cref="ConfigException"/> listing every config
    /// problem, naming the component whose creation failed, or listing why the payload schemas of the
    /// engines and plugins do not compose; whatever was created is disposed then.
    /// </summary>
    /// <param name="config">The loaded config.</param>
    /// <param name="registry">The known engines and plugins.</param>
    /// <param name="environment">The worker environment handed to each component.</param>
    /// <returns>The created components.</returns>
    public static Task<WorkerComponents> CreateAsync(WorkerConfig config, ComponentRegistry registry, IWorkerEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(environment);
        ConfigSchemaComposer.EnsureValid(config, registry);
        return CreateValidatedAsync(config, registry, environment);
    }

    /// <summary>
    /// Like <see cref="CreateAsync"/> for a config already validated against this registry (the worker
    /// validates it once, before it starts): the composed config schema is not built and checked again.
    /// </summary>
    internal static async Task<WorkerComponents> CreateValidatedAsync(WorkerConfig config, ComponentRegistry registry, IWorkerEnvironment environment)
    {
        var engines = new List<NamedEngine>();
        var plugins = new List<NamedPlugin>();
        try
        {
            var names = config.Engines;
            for (var i = 0; i < names.Count; i++)
            {
                var name = names[i];
                registry.TryGetEngine(name, out var provider, out _);
                var options = new EngineOptions
                {
                    Config = config.EngineConfig(name),
                    Environment = environment,
                    Logger = environment.LoggerFactory.CreateLogger($"TcWorker.Engines.{name}"),
                };
                engines.Add(new NamedEngine(name, Create(config, config.EnginePath(i), $"the engine '{name}'", () => provider!.Create(options))));
            }

            foreach (var name in config.Plugins)
            {
                registry.TryGetPlugin(name, out var provider, out _);
                var options = new PluginOptions
                {
                    Config = config.PluginConfig(name),
                    Environment = environment,
                    Logger = environment.LoggerFactory.CreateLogger($"TcWorker.Plugins.{name}"),
                };
                plugins.Add(new NamedPlugin(name, Create(config, $"$.plugins.{name}", $"the plugin '{name}'", () => provider!.Create(options))));
            }

            var components = new TaskRunComponents(engines, plugins);
            try
            {
                _ = components.PayloadSchema;
            }
            catch (Exception e) when (e is SchemaCompositionException or ArgumentException)
            {
                var problems = e is SchemaCompositionException composition ? composition.Problems : [e.Message];
                throw new ConfigException(config.Source, [.. problems.Select(p => $"the task payload schemas of the enabled engines and plugins do not compose: {p}")]);
            }

            return new WorkerComponents(components);
        }
        catch
        {
            await DisposeAllAsync(engines, plugins).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DisposeAllAsync(Components.Engines, Components.Plugins);

    /// <summary>Creates a component; any failure becomes a config problem at <paramref name="path"/>.</summary>
    private static T Create<T>(WorkerConfig config, string path, string what, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e)
        {
            throw new ConfigException(config.Source, [$"{path}: creating {what} failed: {e.Message}"]);
        }
    }

    private static async ValueTask DisposeAllAsync(IReadOnlyList<NamedEngine> engines, IReadOnlyList<NamedPlugin> plugins)
    {
        foreach (var plugin in plugins.Reverse())
        {
            await plugin.Plugin.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var engine in engines.Reverse())
        {
            await engine.Engine.DisposeAsync().ConfigureAwait(false);
        }
    }
}
