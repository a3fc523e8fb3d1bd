using TcWorker.Plugins.Interactive;

// In this namespace so that hosts find AddInteractivePlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>interactive</c> plugin in code.</summary>
public static class InteractivePluginExtensions
{
    /// <summary>Registers the <c>interactive</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddInteractivePlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<InteractivePluginProvider>();
}
