using TcWorker.Plugins.Mounts;

// In this namespace so that hosts find AddMountsPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>mounts</c> plugin in code.</summary>
public static class MountsPluginExtensions
{
    /// <summary>Registers the <c>mounts</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddMountsPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<MountsPluginProvider>();
}
