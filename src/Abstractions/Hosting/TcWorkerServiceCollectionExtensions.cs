using Microsoft.Extensions.DependencyInjection.Extensions;
using TcWorker.Engines;
using TcWorker.Plugins;

// In this namespace so that hosts find AddEngine and AddPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers TcWorker engines and plugins in code, for custom worker binaries. The runtime's
/// <c>AddTcWorker()</c> returns the builder; engines and plugins registered here end in the same
/// registry as those found in plugin folders.
/// </summary>
public interface ITcWorkerBuilder
{
    /// <summary>The service collection the worker is configured in.</summary>
    IServiceCollection Services { get; }
}

/// <summary>In-code registration of engines and plugins.</summary>
public static class TcWorkerBuilderExtensions
{
    /// <summary>Registers an engine provider. Idempotent for the same type.</summary>
    /// <typeparam name="TProvider">The provider; constructed by the service provider, so it may take services.</typeparam>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddEngine<TProvider>(this ITcWorkerBuilder builder)
        where TProvider : class, IEngineProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IEngineProvider, TProvider>());
        return builder;
    }

    /// <summary>Registers a plugin provider. Idempotent for the same type.</summary>
    /// <typeparam name="TProvider">The provider; constructed by the service provider, so it may take services.</typeparam>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddPlugin<TProvider>(this ITcWorkerBuilder builder)
        where TProvider : class, IPluginProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPluginProvider, TProvider>());
        return builder;
    }
}
