using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.Interactive;

/// <summary>
/// Serves shells for one task run from its start until it stops: each WebSocket to the hook opens one
/// shell (<see cref="ShellSession"/>). When the task stops, every session is closed and the hook detached.
/// </summary>
internal sealed class InteractiveTaskPlugin(ITaskContext task, IWebhookServer webhooks, TimeProvider time) : ITaskPlugin
{
    /// <summary>How long the artifact outlives the deadline, as generic-worker (15 minutes past the maximum run time).</summary>
    private static readonly TimeSpan ArtifactGrace = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource ended = new();
    private readonly List<Task> sessions = [];
    private ISandbox? sandbox;
    private WebhookRegistration? hook;
    private int sessionCount;

    public async Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
    {
        this.sandbox = sandbox;
        hook = await webhooks.AttachAsync(ServeAsync, cancellationToken).ConfigureAwait(false);
        var page = ShellPage.Url(task.RootUrl, SocketUrl(hook.Url), task.TaskId, task.RunId);
        var expires = task.Deadline + ArtifactGrace < task.Expires ? task.Deadline + ArtifactGrace : task.Expires;
        try
        {
            await task.Artifacts.CreateReferenceAsync(InteractivePluginProvider.ArtifactName, page, "text/html; charset=utf-8", expires, cancellationToken).ConfigureAwait(false);
            // Never the URL itself: the log is public, and the URL is the key to the shell.
            task.Log.WriteLine($"Interactive shells are open while the task runs: see the artifact {InteractivePluginProvider.ArtifactName}.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nobody can reach the shells without the artifact: close the door rather than leave it unlisted.
            task.Log.WriteErrorLine($"The interactive shell could not be published as {InteractivePluginProvider.ArtifactName} ({e.Message}); no shell can be opened in this run.");
            await CloseAsync().ConfigureAwait(false);
        }
    }

    public async Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        await CloseAsync().ConfigureAwait(false);
        return true;
    }

    public Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken) => CloseAsync();

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        ended.Dispose();
    }

    /// <summary>The hook's URL with the scheme a WebSocket client uses.</summary>
    internal static Uri SocketUrl(Uri hookUrl) =>
        new UriBuilder(hookUrl) { Scheme = hookUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Port = hookUrl.IsDefaultPort ? -1 : hookUrl.Port }.Uri;

    private async Task CloseAsync()
    {
        if (!ended.IsCancellationRequested)
        {
            await ended.CancelAsync().ConfigureAwait(false);
        }

        Task[] open;
        lock (sessions)
        {
            open = [.. sessions];
        }

        try
        {
            // The sessions send their close frames; what does not finish in time is cut by the detach.
            await Task.WhenAll(open).WaitAsync(CloseTimeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        if (hook is { } registration)
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (context.Request.Path.Value is not ("" or "/"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This is an interactive shell: connect with a WebSocket (Taskcluster's shell page, or tc-worker shell).", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        Task session;
        lock (sessions)
        {
            if (ended.IsCancellationRequested || sandbox is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            session = RunSessionAsync(context, sandbox);
            sessions.Add(session);
        }

        await session.ConfigureAwait(false);
        lock (sessions)
        {
            sessions.Remove(session);
        }
    }

    private async Task RunSessionAsync(HttpContext context, ISandbox running)
    {
        await Task.Yield();
        var number = Interlocked.Increment(ref sessionCount);
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        task.Log.WriteLine($"Interactive shell {number.ToString(CultureInfo.InvariantCulture)} opened.");
        var session = new ShellSession(socket, running, ended.Token, time);
        var outcome = await session.RunAsync(context.RequestAborted).ConfigureAwait(false);
        task.Log.WriteLine($"Interactive shell {number.ToString(CultureInfo.InvariantCulture)} closed: {outcome}.");
    }
}
