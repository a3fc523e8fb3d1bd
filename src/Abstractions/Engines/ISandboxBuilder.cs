using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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
    /// Engine-specific facts and settings beyond the contract (say, a Docker engine's container
    /// create parameters), in the manner of ASP.NET Core's <see cref="HttpContext.Features"/>. A
    /// plugin that knows the engine may look for a feature; every other caller ignores it. The
    /// default is an empty, read-only collection.
    /// </summary>
    IFeatureCollection Features => EmptyFeatures.Instance;

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
    /// Attaches a volume at a mount point. A volume is attached to one sandbox at a time: attaching
    /// one that another unfinished sandbox holds throws <see cref="InvalidOperationException"/>; once
    /// that sandbox is disposed, the volume can be attached again, with what it wrote. Throws
    /// <see cref="NamingConflictException"/> when the mount point is taken,
    /// <see cref="MalformedPayloadException"/> for a mount point the engine cannot use, and
    /// <see cref="FeatureNotSupportedException"/> without <see cref="EngineFeatures.Volumes"/>.
    /// </summary>
    /// <param name="mount">Where and how; the volume must come from the same engine, and the caller keeps ownership.</param>
    void AttachVolume(VolumeMount mount) => throw new FeatureNotSupportedException("volumes");

    /// <summary>
    /// Attaches an HTTP handler the task can reach, and returns where: a proxy plugin publishes the
    /// URL to the task (<c>TASKCLUSTER_PROXY_URL</c>). Names match <c>^[a-z]{3,22}$</c>. Requests the
    /// task sends below the returned URL reach <paramref name="handler"/> with that prefix removed
    /// from the path. The handler is detached when the sandbox is disposed. Throws
    /// <see cref="NamingConflictException"/> for a duplicate name and
    /// <see cref="FeatureNotSupportedException"/> without <see cref="EngineFeatures.Proxies"/>.
    /// </summary>
    /// <param name="name">The proxy name.</param>
    /// <param name="handler">Serves the task's requests; it may accept WebSockets.</param>
    /// <param name="cancellationToken">Cancels attaching.</param>
    /// <returns>Where the task reaches the proxy.</returns>
    Task<ProxyEndpoint> AttachProxyAsync(string name, RequestDelegate handler, CancellationToken cancellationToken = default) =>
        throw new FeatureNotSupportedException("proxies");

    /// <summary>
    /// Starts the sandbox. After this the builder holds nothing; disposing it is a no-op.
    /// Throws <see cref="MalformedPayloadException"/> when the task cannot start because of its payload
    /// (for example an image that does not exist).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; the builder is then discarded.</param>
    /// <returns>The running sandbox; the caller disposes it.</returns>
    Task<ISandbox> StartAsync(CancellationToken cancellationToken = default);
}

/// <summary>Where a task reaches a proxy attached with <see cref="ISandboxBuilder.AttachProxyAsync"/>. New members may be added.</summary>
public sealed class ProxyEndpoint
{
    /// <summary>Creates an endpoint.</summary>
    /// <param name="url">The URL the task uses, as seen from inside the sandbox, ending in <c>/</c>.</param>
    public ProxyEndpoint(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        Url = url;
    }

    /// <summary>The URL the task uses, as seen from inside the sandbox, ending in <c>/</c>.</summary>
    public Uri Url { get; }
}

/// <summary>A volume attached to a sandbox (<see cref="ISandboxBuilder.AttachVolume"/>). New members may be added.</summary>
public sealed class VolumeMount
{
    /// <summary>Where the volume appears in the sandbox (engine-specific format; the native engine takes a path relative to the task directory, or absolute).</summary>
    public required string MountPoint { get; init; }

    /// <summary>The volume, created by the same engine.</summary>
    public required IVolume Volume { get; init; }

    /// <summary>Whether the task may only read it.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// A file or folder inside the volume to mount instead of the whole volume, relative with
    /// <c>/</c> separators; a file mounts as a file (generic-worker's <c>fileMount</c>).
    /// </summary>
    public string? SubPath { get; init; }
}
