using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Plugins;

/// <summary>
/// The engine that runs one task, as that task's plugins see it: who it is, and the volumes it
/// makes. In a worker with several engines each task gets the one its payload chose, so volumes
/// always fit the sandbox they are attached to. Thread-safe.
/// </summary>
public interface ITaskEngine
{
    /// <summary>The engine's name in the worker config.</summary>
    string Name { get; }

    /// <summary>The engine's payload dialect (<see cref="IEngine.PayloadDialect"/>).</summary>
    string Dialect { get; }

    /// <summary>What the engine can do.</summary>
    EngineCapabilities Capabilities { get; }

    /// <summary>The JSON schema of <see cref="VolumeOptions.Config"/> for this engine.</summary>
    JObject VolumeSchema { get; }

    /// <summary>
    /// Creates an empty volume (<see cref="IEngine.CreateVolumeAsync"/>). Throws
    /// <see cref="FeatureNotSupportedException"/> unless the engine declares <see cref="EngineFeatures.Volumes"/>.
    /// </summary>
    /// <param name="options">The volume's id and engine-specific config.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The volume; the caller owns and disposes it, and may keep it beyond the task (register it with the garbage collector).</returns>
    Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a volume builder (<see cref="IEngine.CreateVolumeBuilderAsync"/>). Throws
    /// <see cref="FeatureNotSupportedException"/> unless the engine declares <see cref="EngineFeatures.Volumes"/>.
    /// </summary>
    /// <param name="options">The volume's id and engine-specific config.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The builder; the caller disposes it.</returns>
    Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default);
}
