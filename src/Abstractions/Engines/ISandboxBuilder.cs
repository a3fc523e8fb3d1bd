using Microsoft.AspNetCore.Http;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// Collects what a sandbox needs before it starts. Thread-safe: plugins call it concurrently from
/// their <c>BuildSandboxAsync</c> hooks. Disposing a builder that was not started discards it and
/// frees everything it holds.
/// </summary>
public interface ISandboxBuilder : IAsyncDisposable
{
    /// <summary>
    /// The task's working directory as the task sees it (for <c>TASK_WORKDIR</c>), or
    /// <see langword="null"/> when the engine has no such notion.
    /// </summary>
    string? WorkingDirectory => null;

    /// <summary>
    /// Sets an environment variable for the task. Throws <see cref="NamingConflictException"/> when
    /// the name is already set, <see cref="MalformedPayloadException"/> when the name is invalid, and
    /// <see cref="FeatureNotSupportedException"/> when the engine does not declare
    /// <see cref="EngineFeatures.EnvironmentVariables"/>.
    /// </summary>
    /// <param name="name">The variable name.</param>
    /// <param name="value">The value.</param>
    void SetEnvironmentVariable(string name, string value);

    /// <summary>
    /// Attaches a volume at a mount point. Throws <see cref="NamingConflictException"/> when the
    /// mount point is taken and <see cref="FeatureNotSupportedException"/> without <see cref="EngineFeatures.Volumes"/>.
    /// </summary>
    /// <param name="mountPoint">Where the volume appears in the sandbox (engine-specific format).</param>
    /// <param name="volume">A volume created by the same engine. The caller keeps ownership.</param>
    /// <param name="readOnly">Whether the task may only read it.</param>
    void AttachVolume(string mountPoint, IVolume volume, bool readOnly) => throw new FeatureNotSupportedException("volumes");

    /// <summary>
    /// Attaches an HTTP handler the task can reach by name (e.g. <c>http://taskcluster/&lt;name&gt;/...</c>
    /// or an environment variable, engine-specific). Names match <c>^[a-z]{3,22}$</c>. Throws
    /// <see cref="NamingConflictException"/> for a duplicate and <see cref="FeatureNotSupportedException"/>
    /// without <see cref="EngineFeatures.Proxies"/>.
    /// </summary>
    /// <param name="name">The proxy name.</param>
    /// <param name="handler">Serves the task's requests; the path has the proxy prefix removed.</param>
    void AttachProxy(string name, RequestDelegate handler) => throw new FeatureNotSupportedException("proxies");

    /// <summary>
    /// Starts the sandbox. After this the builder holds nothing; disposing it is a no-op.
    /// Throws <see cref="MalformedPayloadException"/> when the task cannot start because of its payload
    /// (for example an image that does not exist).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; the builder is then discarded.</param>
    /// <returns>The running sandbox; the caller disposes it.</returns>
    Task<ISandbox> StartAsync(CancellationToken cancellationToken = default);
}
