using TcWorker.Plugins.LogPrefix;

// In this namespace so that hosts find AddLogPrefixPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>logprefix</c> plugin in code.</summary>
public static class LogPrefixPluginExtensions
{
    /// <summary>Registers the <c>logprefix</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddLogPrefixPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<LogPrefixPluginProvider>();
}
