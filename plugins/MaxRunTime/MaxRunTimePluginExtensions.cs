using TcWorker.Plugins.MaxRunTime;

// In this namespace so that hosts find AddMaxRunTimePlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>maxruntime</c> plugin in code.</summary>
public static class MaxRunTimePluginExtensions
{
    /// <summary>Registers the <c>maxruntime</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddMaxRunTimePlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<MaxRunTimePluginProvider>();
}
