using TcWorker.Plugins.Success;

// In this namespace so that hosts find AddSuccessPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>success</c> plugin in code.</summary>
public static class SuccessPluginExtensions
{
    /// <summary>Registers the <c>success</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddSuccessPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<SuccessPluginProvider>();
}
