using TcWorker.Plugins.Artifacts;

// In this namespace so that hosts find AddArtifactsPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>artifacts</c> plugin in code.</summary>
public static class ArtifactsPluginExtensions
{
    /// <summary>Registers the <c>artifacts</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddArtifactsPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<ArtifactsPluginProvider>();
}
