using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>
/// The proxies of one container, served inside the container's own network namespace: the worker opens
/// a listener on the container's <c>127.0.0.1:80</c> through <c>setns</c> from a dedicated thread, and the
/// container's <c>/etc/hosts</c> names each proxy (<c>taskcluster</c> → 127.0.0.1), so a task reaches the
/// proxy <c>NAME</c> at <c>http://NAME/</c>. Only processes in that namespace can connect: no other
/// container, and no host process short of root. Requests are told apart by their Host header.
/// Thread-safe.
/// </summary>
internal sealed partial class ContainerProxies : IAsyncDisposable
{
    private const int Clone_NewNet = 0x40000000;
    private const int F_DupFdCloExec = 1030;
    private readonly ConcurrentDictionary<string, RequestDelegate> handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<HttpContext, byte> open = new();
    private WebApplication? app;
    private volatile bool detached;

    /// <summary>Whether any proxy is attached.</summary>
    public bool Any => !handlers.IsEmpty;

    /// <summary>The <c>/etc/hosts</c> entries the container needs (Docker's ExtraHosts).</summary>
    public IEnumerable<string> ExtraHosts => handlers.Keys.Select(name => name + ":127.0.0.1");

    /// <summary>Attaches a proxy by name; the task reaches it at <c>http://NAME/</c>.</summary>
    /// <exception cref="NamingConflictException">The name is attached.</exception>
    public ProxyEndpoint Attach(string name, RequestDelegate handler)
    {
        if (!handlers.TryAdd(name, handler))
        {
            throw new NamingConflictException("proxy", name);
        }

        return new ProxyEndpoint(new Uri($"http://{name}/"));
    }

    /// <summary>
    /// Opens the listener in the network namespace of the container's process <paramref name="pid"/>.
    /// <paramref name="stillRunsAs"/> is asked after the namespace is opened whether the container still
    /// runs as that pid: only then was the namespace the container's, not that of a process that took over
    /// the pid of one that had already ended.
    /// </summary>
    /// <exception cref="InvalidOperationException">The namespace could not be entered or the port not bound (the reason says why).</exception>
    public async Task OpenAsync(long pid, Func<Task<bool>> stillRunsAs, CancellationToken cancellationToken)
    {
        var path = $"/proc/{pid}/ns/net";
        using var target = File.OpenHandle(path);
        if (string.Equals(new FileInfo(path).LinkTarget, new FileInfo("/proc/self/ns/net").LinkTarget, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the container shares the worker's network namespace");
        }

        if (!await stillRunsAs().ConfigureAwait(false))
        {
            throw new InvalidOperationException("the container ended before its proxies could listen");
        }

        var fd = ListenInNamespace(target, path);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.ListenHandle((ulong)fd);
        });
        app = builder.Build();
        app.UseWebSockets();
        app.Run(DispatchAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        detached = true;
        foreach (var context in open.Keys)
        {
            context.Abort();
        }

        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        if (detached || !handlers.TryGetValue(context.Request.Host.Host, out var handler))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        open.TryAdd(context, 0);
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        finally
        {
            open.TryRemove(context, out _);
        }
    }

    /// <summary>
    /// A listening socket on 127.0.0.1:80 of another network namespace, as a file descriptor Kestrel takes
    /// over. A socket belongs to the namespace its creating thread was in, so a thread of its own enters
    /// the namespace, creates and binds it, and goes back before it ends.
    /// </summary>
    private static int ListenInNamespace(Microsoft.Win32.SafeHandles.SafeFileHandle target, string namespacePath)
    {
        var fd = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            using var own = File.OpenHandle("/proc/thread-self/ns/net");
            if (SetNs((int)target.DangerousGetHandle(), Clone_NewNet) != 0)
            {
                failure = new InvalidOperationException($"setns into {namespacePath} failed with errno {Marshal.GetLastPInvokeError()} (the worker must run as root)");
                return;
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 80));
                socket.Listen(512);
                // A copy that outlives the Socket object, closed on exec so that no child process inherits it.
                fd = DupCloseOnExec((int)socket.Handle, F_DupFdCloExec, 0);
                if (fd < 0)
                {
                    failure = new InvalidOperationException($"fcntl(F_DUPFD_CLOEXEC) failed with errno {Marshal.GetLastPInvokeError()}");
                }
            }
            catch (SocketException e)
            {
                failure = new InvalidOperationException($"listening on 127.0.0.1:80 in the container failed: {e.Message}", e);
            }
            finally
            {
                if (SetNs((int)own.DangerousGetHandle(), Clone_NewNet) != 0)
                {
                    // This thread ends here; nothing else runs on it in the container's namespace.
                    failure ??= new InvalidOperationException($"setns back failed with errno {Marshal.GetLastPInvokeError()}");
                }
            }
        })
        {
            IsBackground = true,
            Name = "tcw-docker-proxy-netns",
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            if (fd >= 0)
            {
                _ = Close(fd);
            }

            throw failure;
        }

        return fd;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int DupCloseOnExec(int fd, int command, int lowest);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
