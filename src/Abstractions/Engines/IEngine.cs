using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// An engine provides the sandboxes tasks run in. One instance lives as long as the worker and is
/// called concurrently for concurrent tasks, up to <see cref="EngineCapabilities.MaxConcurrency"/>.
/// </summary>
public interface IEngine : IAsyncDisposable
{
    /// <summary>What the engine can do. Read once at start-up; must not change.</summary>
    EngineCapabilities Capabilities { get; }

    /// <summary>
    /// The JSON schema of the payload keys this engine owns: an object schema whose
    /// <c>properties</c> are merged with the enabled plugins' into the task payload schema.
    /// </summary>
    JObject PayloadSchema { get; }

    /// <summary>Documentation for task authors and operators, in Markdown sections.</summary>
    IReadOnlyList<DocSection> Documentation { get; }

    /// <summary>
    /// Creates a sandbox builder for one task. Runs in parallel with the plugins' task plugin
    /// creation. Throws <see cref="MalformedPayloadException"/> when the payload cannot be run.
    /// </summary>
    /// <param name="options">The task context and the payload keys this engine owns.</param>
    /// <param name="cancellationToken">Fires when the run is aborted before the builder is ready.</param>
    /// <returns>A builder; the caller disposes it (which discards it unless it was started).</returns>
    Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default);

    /// <summary>The JSON schema of the options <see cref="CreateVolumeAsync"/> accepts; an empty object schema when volumes are not supported.</summary>
    JObject VolumeSchema => new() { ["type"] = "object" };

    /// <summary>
    /// Creates an empty volume (a cache, a shared folder) that can be attached to sandboxes.
    /// Throws <see cref="FeatureNotSupportedException"/> unless <see cref="EngineFeatures.Volumes"/> is declared.
    /// </summary>
    /// <param name="options">Engine-specific options matching <see cref="VolumeSchema"/>.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The volume; the caller disposes it.</returns>
    Task<IVolume> CreateVolumeAsync(JObject options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");

    /// <summary>
    /// Creates a volume builder that writes files before the volume is built (e.g. a preloaded cache).
    /// Throws <see cref="FeatureNotSupportedException"/> unless <see cref="EngineFeatures.Volumes"/> is declared.
    /// </summary>
    /// <param name="options">Engine-specific options matching <see cref="VolumeSchema"/>.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The builder; the caller disposes it, which discards it unless it was built.</returns>
    Task<IVolumeBuilder> CreateVolumeBuilderAsync(JObject options, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("volumes");
}

/// <summary>What an engine is asked to run.</summary>
/// <param name="Task">The task context of the run.</param>
/// <param name="Payload">The payload keys this engine owns (filtered from the task payload).</param>
public sealed record SandboxOptions(Tasks.ITaskContext Task, JObject Payload);
