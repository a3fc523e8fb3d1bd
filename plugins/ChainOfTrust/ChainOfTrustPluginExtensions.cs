using TcWorker.Plugins.ChainOfTrust;

// In this namespace so that hosts find AddChainOfTrustPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>chainoftrust</c> plugin in code.</summary>
public static class ChainOfTrustPluginExtensions
{
    /// <summary>Registers the <c>chainoftrust</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddChainOfTrustPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<ChainOfTrustPluginProvider>();
}
