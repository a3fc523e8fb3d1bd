using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The engine of one task as its plugins see it: name, dialect, capabilities and volumes, nothing
/// more (a plugin cannot create sandboxes). Thread-safe as the engine is.
/// </summary>
/// <param name="name">The engine's name in the worker config.</param>
/// <param name="engine">The engine; not owned.</param>
public sealed class TaskEngine(string name, IEngine engine) : ITaskEngine
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string Dialect => engine.PayloadDialect;

    /// <inheritdoc />
    public EngineCapabilities Capabilities => engine.Capabilities;

    /// <inheritdoc />
    public JObject VolumeSchema => engine.VolumeSchema;

    /// <inheritdoc />
    public Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        engine.CreateVolumeAsync(options, cancellationToken);

    /// <inheritdoc />
    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        engine.CreateVolumeBuilderAsync(options, cancellationToken);
}
