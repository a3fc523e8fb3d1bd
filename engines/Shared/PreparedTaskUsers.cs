using Microsoft.Extensions.Logging;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Task workspaces with a throwaway user, made ahead of the task that takes them, and deleted after
/// the task that used them, so that the OS account tools (useradd, userdel: tens of milliseconds
/// each, serialised by the account files' lock) run beside tasks rather than between a claim and
/// its resolution. Thread-safe.
/// </summary>
/// <remarks>
/// A prepared workspace is as fresh as one made at claim time: an empty directory (mode 700, owned
/// by its user) and an account no process has ever run as. Nothing runs as it before it is taken,
/// it is given to exactly one task and deleted after it, never reused. One is kept ready (as the
/// next task user is prepared while the current task runs); a take that finds none waits for the
/// one being made, or makes its own. A taken workspace whose directory is not empty (something wrote
/// into it meanwhile) is deleted and replaced. Unused prepared users are deleted when the pool is
/// disposed; after a crash, their homes lie under the tasks' folder, so the engine's leftover
/// clean-up at its next start removes them with the others.
/// </remarks>
internal sealed partial class PreparedTaskUsers : IAsyncDisposable
{
    private const int Ahead = 1;
    private readonly string parent;
    private readonly TaskUsers users;
    private readonly ILogger logger;
    private readonly Queue<TaskWorkspace> ready = new();
    private readonly HashSet<Task> retiring = [];
    private readonly object gate = new();
    private Task? preparing;
    private bool disposed;

    /// <param name="parent">The folder the task directories are made in.</param>
    /// <param name="users">Creates and deletes the accounts.</param>
    /// <param name="logger">Where a failed preparation is reported (the next take then makes its own).</param>
    public PreparedTaskUsers(string parent, TaskUsers users, ILogger logger)
    {
        this.parent = parent;
        this.users = users;
        this.logger = logger;
    }

    /// <summary>Starts preparing the first workspace, so that the first task finds it ready.</summary>
    public void Start() => Refill();

    /// <summary>How many prepared workspaces wait for a task now.</summary>
    public int Ready
    {
        get
        {
            lock (gate)
            {
                return ready.Count;
            }
        }
    }

    /// <summary>
    /// A workspace for one task: a prepared one, the one being prepared, or a new one; then starts
    /// preparing the next. Disposing the workspace hands it to <see cref="Retire"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No account could be created (useradd failed).</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    public async Task<TaskWorkspace> TakeAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Task? inFlight;
                lock (gate)
                {
                    ObjectDisposedException.ThrowIf(disposed, this);
                    if (ready.TryDequeue(out var prepared))
                    {
                        if (IsUntouched(prepared))
                        {
                            return prepared;
                        }

                        _ = prepared.DisposeAsync();
                        continue;
                    }

                    inFlight = preparing;
                }

                if (inFlight is null)
                {
                    return await TaskWorkspace.CreateAsync(parent, users, this, cancellationToken).ConfigureAwait(false);
                }

                // The one being prepared lands in the ready queue (or, failing, leaves none in flight).
                await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Refill();
        }
    }

    /// <summary>
    /// Deletes a used (or never used) workspace's user and directory in the background; the pool's
    /// disposal waits for it. The task's processes are already gone (its sandbox killed them); the
    /// deletion kills anything of the user once more before userdel.
    /// </summary>
    /// <param name="deletion">Starts the deletion; never throws (see <see cref="TaskUsers.DeleteAsync"/>).</param>
    public void Retire(Func<Task> deletion)
    {
        var task = Task.Run(deletion);
        lock (gate)
        {
            retiring.Add(task);
        }

        _ = task.ContinueWith(
            t =>
            {
                lock (gate)
                {
                    retiring.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Stops preparing, deletes the unused prepared workspaces and waits for every deletion.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? inFlight;
        lock (gate)
        {
            disposed = true;
            inFlight = preparing;
        }

        if (inFlight is not null)
        {
            // A preparation that ends after the pool is disposed deletes its own workspace.
            await inFlight.ConfigureAwait(false);
        }

        while (true)
        {
            Task[] pending;
            lock (gate)
            {
                while (ready.TryDequeue(out var unused))
                {
                    _ = unused.DisposeAsync();
                }

                pending = [.. retiring];
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    /// <summary>Nothing has been written into the directory since it was prepared.</summary>
    private static bool IsUntouched(TaskWorkspace workspace)
    {
        try
        {
            return !Directory.EnumerateFileSystemEntries(workspace.Directory).Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Refill()
    {
        lock (gate)
        {
            if (disposed || preparing is not null || ready.Count >= Ahead)
            {
                return;
            }

            preparing = Task.Run(PrepareAsync);
        }
    }

    private async Task PrepareAsync()
    {
        TaskWorkspace? workspace = null;
        try
        {
            workspace = await TaskWorkspace.CreateAsync(parent, users, this, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            LogPrepareFailed(logger, e.Message);
        }

        var again = false;
        lock (gate)
        {
            preparing = null;
            if (workspace is not null && !disposed)
            {
                ready.Enqueue(workspace);
                again = ready.Count < Ahead;
                workspace = null;
            }
        }

        if (workspace is not null)
        {
            // Disposed meanwhile: the workspace goes with the others (DisposeAsync waits for retirements).
            await workspace.DisposeAsync().ConfigureAwait(false);
        }
        else if (again)
        {
            Refill();
        }
    }

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "A task user could not be prepared ahead ({Reason}); the next task makes its own")]
    private static partial void LogPrepareFailed(ILogger logger, string reason);
}
