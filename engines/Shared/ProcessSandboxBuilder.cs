using Microsoft.AspNetCore.Http;
using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Collects a process sandbox's environment, volumes and proxies. Disposing it before the sandbox took
/// over (unstarted, or after a failed start) deletes the task directory and user, gives the volumes back
/// and detaches the proxies. Thread-safe.
/// </summary>
/// <param name="workspace">The task directory and user.</param>
/// <param name="environment">The task's environment.</param>
/// <param name="create">Makes the sandbox from the finished environment.</param>
/// <param name="attachments">Volumes and proxies; null when the engine offers neither.</param>
internal sealed class ProcessSandboxBuilder(TaskWorkspace workspace, TaskEnvironment environment, Func<IReadOnlyDictionary<string, string>, ProcessSandbox> create, SandboxAttachments? attachments = null) : ISandboxBuilder
{
    private int started;
    private int handedOver;

    public string? WorkingDirectory => workspace.Directory;

    public void SetEnvironmentVariable(string name, string value) => environment.Set(name, value);

    public void AttachVolume(VolumeMount mount) => (attachments ?? throw new FeatureNotSupportedException("volumes")).AttachVolume(mount);

    public Task<ProxyEndpoint> AttachProxyAsync(string name, RequestDelegate handler, CancellationToken cancellationToken = default) =>
        (attachments ?? throw new FeatureNotSupportedException("proxies")).AttachProxyAsync(name, handler, cancellationToken);

    public async Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("The sandbox was already started.");
        }

        try
        {
            if (attachments is not null)
            {
                await attachments.MountAsync(cancellationToken).ConfigureAwait(false);
            }

            var sandbox = create(environment.Build());
            Volatile.Write(ref handedOver, 1);
            sandbox.Start(attachments);
            return sandbox;
        }
        catch when (Volatile.Read(ref handedOver) == 0)
        {
            attachments?.EndRun(null);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref handedOver, 1) != 0)
        {
            return;
        }

        if (attachments is not null)
        {
            await attachments.DisposeAsync().ConfigureAwait(false);
        }

        await workspace.DisposeAsync().ConfigureAwait(false);
    }
}
