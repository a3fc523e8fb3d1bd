using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>Collects environment variables, proxies and volumes for a mock run. Thread-safe.</summary>
internal sealed partial class MockSandboxBuilder(MockRun run) : ISandboxBuilder
{
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

    public void AttachProxy(string name, RequestDelegate handler)
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
    }

    public void AttachVolume(string mountPoint, IVolume volume, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(mountPoint);
        if (volume is not MockVolume mock)
        {
            throw new ArgumentException("The volume was not created by the mock engine.", nameof(volume));
        }

        if (!run.Volumes.TryAdd(mountPoint, (mock, readOnly)))
        {
            throw new NamingConflictException("mount point", mountPoint);
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

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("^[a-z]{3,22}$")]
    private static partial Regex ProxyName();
}
