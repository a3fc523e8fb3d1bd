using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Tasks;

/// <summary>The engine of one task as its plugins see it: name, dialect, capabilities and volumes, nothing more.</summary>
internal sealed class TaskEngine(string name, IEngine engine) : ITaskEngine
{
    public string Name { get; } = name;

    public string Dialect => engine.PayloadDialect;

    public EngineCapabilities Capabilities => engine.Capabilities;

    public JObject VolumeSchema => engine.VolumeSchema;

    public Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        engine.CreateVolumeAsync(options, cancellationToken);

    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        engine.CreateVolumeBuilderAsync(options, cancellationToken);
}
