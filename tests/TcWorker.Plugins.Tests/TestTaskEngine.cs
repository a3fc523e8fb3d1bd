using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Plugins;

namespace TcWorker.Plugins.Tests;

/// <summary>The engine a plugin under unit test is told about: a generic-worker engine without volumes.</summary>
internal sealed class TestTaskEngine : ITaskEngine
{
    public static TestTaskEngine Mock { get; } = new();

    public string Name => "mock";

    public string Dialect => PayloadDialects.GenericWorker;

    public EngineCapabilities Capabilities { get; init; } = new() { Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts };

    public JObject VolumeSchema => new() { ["type"] = "object" };

    public Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");

    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");
}
