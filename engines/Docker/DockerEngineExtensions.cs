using TcWorker.Engines.Docker;

// In this namespace so that hosts find AddDockerEngine without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>docker</c> engine in code.</summary>
public static class DockerEngineExtensions
{
    /// <summary>Registers the <c>docker</c> engine. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddDockerEngine(this ITcWorkerBuilder builder) => builder.AddEngine<DockerEngineProvider>();
}
