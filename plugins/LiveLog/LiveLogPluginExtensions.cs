using TcWorker.Plugins.LiveLog;

// In this namespace so that hosts find AddLiveLogPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>livelog</c> plugin in code.</summary>
public static class LiveLogPluginExtensions
{
    /// <summary>Registers the <c>livelog</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddLiveLogPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<LiveLogPluginProvider>();
}
