using TcWorker.Plugins.Env;

// In this namespace so that hosts find AddEnvPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>env</c> plugin in code.</summary>
public static class EnvPluginExtensions
{
    /// <summary>Registers the <c>env</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddEnvPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<EnvPluginProvider>();
}
