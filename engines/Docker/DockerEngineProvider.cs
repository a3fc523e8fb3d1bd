using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Provides the <c>docker</c> engine: each task runs in a container of its own on a Docker daemon
/// (Engine API 1.41 and newer), with docker-worker's payload (<c>image</c>, <c>command</c>,
/// <c>capabilities</c>).
/// </summary>
public sealed class DockerEngineProvider : IEngineProvider
{
    /// <inheritdoc />
    public string Name => "docker";

    /// <inheritdoc />
    public JObject ConfigSchema => DockerSettings.Schema;

    /// <inheritdoc />
    public IEngine Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DockerEngine(DockerSettings.Parse(options.Config), options.Environment, options.Logger);
    }
}
