using System.Reflection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Hosting;

// In this namespace so that hosts find AddTcWorker without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the TcWorker runtime to a service collection.</summary>
public static class TcWorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the runtime: the component registry that joins plugin folders with engines and plugins
    /// registered in code. Idempotent. Chain <c>AddEngine&lt;T&gt;()</c> and <c>AddPlugin&lt;T&gt;()</c>
    /// on the result.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds plugin directories, or turns off the default one.</param>
    /// <returns>A builder for registering engines and plugins.</returns>
    public static ITcWorkerBuilder AddTcWorker(this IServiceCollection services, Action<TcWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<IPluginAssemblyLoader, McMasterPluginAssemblyLoader>();
        services.TryAddSingleton(sp => ComponentRegistryFactory.Create(
            sp.GetRequiredService<IOptions<TcWorkerOptions>>().Value,
            sp.GetRequiredService<IPluginAssemblyLoader>(),
            sp.GetServices<IEngineProvider>(),
            sp.GetServices<IPluginProvider>()));
        return new TcWorkerBuilder(services);
    }

    private sealed class TcWorkerBuilder(IServiceCollection services) : ITcWorkerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}

/// <summary>Builds the registry from plugin folders and in-code providers.</summary>
internal static class ComponentRegistryFactory
{
    public static ComponentRegistry Create(TcWorkerOptions options, IPluginAssemblyLoader loader, IEnumerable<IEngineProvider> engines, IEnumerable<IPluginProvider> plugins)
    {
        var found = new List<ComponentDescriptor>(new PluginFolderScanner(loader).Scan(options.EffectiveDirectories()));
        found.AddRange(engines.Select(e => InCode(e.Name, ComponentKind.Engine, e.GetType()) with { EngineProvider = e }));
        found.AddRange(plugins.Select(p => InCode(p.Name, ComponentKind.Plugin, p.GetType()) with { PluginProvider = p }));
        return new ComponentRegistry(found);
    }

    private static ComponentDescriptor InCode(string name, ComponentKind kind, Type type) => new()
    {
        Name = name,
        Kind = kind,
        Source = ComponentDescriptor.InCodeSource,
        Version = type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
        ContractVersion = TcWorker.ContractVersion.Normalize(type.Assembly.GetReferencedAssemblies()
            .FirstOrDefault(a => a.Name == TcWorker.ContractVersion.AssemblyName)?.Version ?? typeof(IEngine).Assembly.GetName().Version),
    };
}
