using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The volumes and proxies attached to one process sandbox: collected by its builder, mounted when it
/// starts, handed back when the run ends, and released (volumes given back, proxies detached) when the
/// sandbox, or a builder that never started, is disposed. A null store or listener means the engine does
/// not offer that feature. Thread-safe.
/// </summary>
internal sealed partial class SandboxAttachments(TaskWorkspace workspace, VolumeStore? volumes, ProxyListener? proxies) : IAsyncDisposable
{
    private readonly VolumeMounts? mounts = volumes is null ? null : new VolumeMounts(volumes, workspace);
    private readonly ConcurrentDictionary<string, ProxyRoute?> routes = new(StringComparer.Ordinal);
    private int disposed;

    /// <inheritdoc cref="VolumeMounts.Add"/>
    public void AttachVolume(VolumeMount mount) => (mounts ?? throw new FeatureNotSupportedException("volumes")).Add(mount);

    /// <summary>Attaches a proxy the task reaches at the returned URL.</summary>
    /// <exception cref="MalformedPayloadException">The name does not match <c>^[a-z]{3,22}$</c>.</exception>
    /// <exception cref="NamingConflictException">A proxy of that name is attached.</exception>
    public async Task<ProxyEndpoint> AttachProxyAsync(string name, RequestDelegate handler, CancellationToken cancellationToken)
    {
        if (proxies is null)
        {
            throw new FeatureNotSupportedException("proxies");
        }

        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (!ProxyName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid proxy name: use 3 to 22 lowercase letters.");
        }

        if (!routes.TryAdd(name, null))
        {
            throw new NamingConflictException("proxy", name);
        }

        ProxyRoute route;
        try
        {
            route = await proxies.AttachAsync(name, handler, workspace.User?.Uid, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            routes.TryRemove(name, out _);
            throw;
        }

        routes[name] = route;
        if (Volatile.Read(ref disposed) != 0)
        {
            await route.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(ISandboxBuilder));
        }

        return new ProxyEndpoint(route.Url);
    }

    /// <summary>Makes the volumes appear in the task directory, before the task starts.</summary>
    public Task MountAsync(CancellationToken cancellationToken) =>
        mounts is null ? Task.CompletedTask : Task.Run(() => mounts.Mount(cancellationToken), cancellationToken);

    /// <summary>Hands the volumes back to the worker's user; called once every process of the task is gone.</summary>
    /// <param name="log">Where a failure is reported, if anywhere.</param>
    public void EndRun(ITaskLog? log) => mounts?.Unmount(log);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        mounts?.Unmount(null);
        mounts?.Release();
        foreach (var route in routes.Values)
        {
            if (route is not null)
            {
                await route.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [GeneratedRegex("^[a-z]{3,22}$")]
    private static partial Regex ProxyName();
}
