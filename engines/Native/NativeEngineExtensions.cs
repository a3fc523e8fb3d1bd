using TcWorker.Engines.Native;

// In this namespace so that hosts find AddNativeEngine without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>native</c> engine in code.</summary>
public static class NativeEngineExtensions
{
    /// <summary>Registers the <c>native</c> engine. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddNativeEngine(this ITcWorkerBuilder builder) => builder.AddEngine<NativeEngineProvider>();
}
