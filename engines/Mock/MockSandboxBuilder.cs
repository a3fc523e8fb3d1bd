using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>Collects environment variables, proxies and volumes for a mock run. Thread-safe.</summary>
internal sealed partial class MockSandboxBuilder(MockRun run) : ISandboxBuilder
{
    /// <summary>What the URL of every mock proxy starts with; the proxy's name and a slash follow.</summary>
    public const string ProxyUrlBase = "http://mock-proxy/";

    private int started;

    public void SetEnvironmentVariable(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!EnvironmentName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid environment variable name.");
        }

        if (!run.Environment.TryAdd(name, value))
        {
            throw new NamingConflictException("environment variable", name);
        }
    }

    public Task<ProxyEndpoint> AttachProxyAsync(string name, RequestDelegate handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (!ProxyName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid proxy name (3 to 22 lowercase letters).");
        }

        if (!run.Proxies.TryAdd(name, handler))
        {
            throw new NamingConflictException("proxy", name);
        }

        // The mock's tasks call proxies in memory; the URL names the proxy the way they address it.
        return Task.FromResult(new ProxyEndpoint(new Uri($"{ProxyUrlBase}{name}/")));
    }

    public void AttachVolume(VolumeMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        if (mount.Volume is not MockVolume mock)
        {
            throw new ArgumentException("The volume was not created by the mock engine.", nameof(mount));
        }

        if (run.Volumes.ContainsKey(mount.MountPoint))
        {
            throw new NamingConflictException("mount point", mount.MountPoint);
        }

        mock.Acquire(run);
        if (!run.Volumes.TryAdd(mount.MountPoint, (mock, mount.ReadOnly)))
        {
            throw new NamingConflictException("mount point", mount.MountPoint);
        }
    }

    public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("The sandbox was already started.");
        }

        return Task.FromResult<ISandbox>(new MockSandbox(run));
    }

    public ValueTask DisposeAsync()
    {
        // A builder that never started gives its volumes back; a started one leaves them to its sandbox.
        if (Volatile.Read(ref started) == 0)
        {
            run.ReleaseVolumes();
        }

        return ValueTask.CompletedTask;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("^[a-z]{3,22}$")]
    private static partial Regex ProxyName();
}
