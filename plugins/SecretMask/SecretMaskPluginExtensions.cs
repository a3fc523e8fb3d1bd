using TcWorker.Plugins.SecretMask;

// In this namespace so that hosts find AddSecretMaskPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>secretmask</c> plugin in code.</summary>
public static class SecretMaskPluginExtensions
{
    /// <summary>Registers the <c>secretmask</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddSecretMaskPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<SecretMaskPluginProvider>();
}
