using System.ComponentModel;
using System.Diagnostics;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Shared;

/// <summary>What a process sandbox is made of.</summary>
/// <param name="Workspace">The task directory and user; the sandbox takes ownership.</param>
/// <param name="Environment">The task's complete environment.</param>
/// <param name="Log">The task log.</param>
/// <param name="GracePeriod">How long processes get between SIGTERM and SIGKILL on an abort, and when the task leaves some behind.</param>
/// <param name="Time">The clock.</param>
/// <param name="Containment">Where the task gets its control group; null, or one without control groups, for none (the marker and the task user remain).</param>
/// <param name="MaxProcesses">The task's limit on processes and threads at once (with a control group that has the pids controller); null for none.</param>
internal sealed record ProcessSandboxOptions(
    TaskWorkspace Workspace,
    IReadOnlyDictionary<string, string> Environment,
    ITaskLog Log,
    TimeSpan GracePeriod,
    TimeProvider Time,
    ProcessContainment? Containment = null,
    int? MaxProcesses = null);

/// <summary>How the task's commands ended.</summary>
/// <param name="ExitCode">The exit code of the last command run, or null when none could be started.</param>
internal sealed record ProcessOutcome(int? ExitCode);

/// <summary>
/// A sandbox that runs host processes in a task directory. It owns the run: commands are run by
/// <see cref="RunAsync"/>; afterwards, and on kill or abort, every process the task started is
/// terminated (see <see cref="ProcessReaper"/>), so a task never leaves a process behind. A kill asks
/// them to stop (SIGTERM) and waits up to its grace period before killing what is left. With a control
/// group (<see cref="ProcessSandboxOptions.Containment"/>) every process starts in the task's group, and a task
/// that reaches its process limit is stopped and fails.
/// </summary>
internal abstract class ProcessSandbox : ISandbox
{
    private static readonly TimeSpan PipeDrainTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan OutputSettleTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LimitCheckInterval = TimeSpan.FromMilliseconds(250);
    private readonly SandboxLifecycle<IResultSet> lifecycle = new();
    private readonly CancellationTokenSource abandonPipes = new();
    private readonly List<Task> pumps = [];
    private readonly List<Process> processes = [];
    private readonly TaskProcessGroup? group;
    private readonly List<ProcessShell> shells = [];
    private bool ended;
    private SandboxAttachments? attachments;
    private ITimer? limitWatch;
    private int limitReported;

    /// <exception cref="IOException">The task's control group could not be created.</exception>
    protected ProcessSandbox(ProcessSandboxOptions options)
    {
        Options = options;
        var marker = options.Environment.TryGetValue(ProcessReaper.MarkerVariable, out var value) ? value : throw new ArgumentException("The environment lacks the marker.", nameof(options));
        group = options.Containment is { Kind: not ProcessContainmentKind.None } containment ? containment.CreateGroup(options.MaxProcesses) : null;
        Reaper = new ProcessReaper(marker, options.Workspace.User, options.Time, group);
    }

    protected ProcessSandboxOptions Options { get; }

    protected ProcessReaper Reaper { get; }

    protected ITaskLog Log => Options.Log;

    /// <summary>How long the task's processes get between SIGTERM and SIGKILL: a kill brings its own grace period, anything else uses the engine's.</summary>
    private TimeSpan StopGracePeriod => lifecycle.KillGracePeriod ?? Options.GracePeriod;

    /// <summary>Starts the run in the background.</summary>
    /// <param name="attached">The mounted volumes and attached proxies, which the sandbox takes over; null when there are none.</param>
    public void Start(SandboxAttachments? attached = null)
    {
        attachments = attached;
        if (group?.MaxProcesses is not null)
        {
            limitWatch = Options.Time.CreateTimer(_ => CheckProcessLimit(), null, LimitCheckInterval, LimitCheckInterval);
        }

        lifecycle.Start(RunAndCleanUpAsync);
    }

    public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => lifecycle.WaitAsync(cancellationToken);

    public Task AbortAsync() => lifecycle.AbortAsync();

    public Task KillAsync() => KillAsync(TimeSpan.Zero);

    public Task KillAsync(TimeSpan gracePeriod)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
        return lifecycle.KillAsync(gracePeriod);
    }

    public async ValueTask DisposeAsync()
    {
        var ownsWorkspace = await lifecycle.StopForDisposalAsync().ConfigureAwait(false);
        if (limitWatch is not null)
        {
            await limitWatch.DisposeAsync().ConfigureAwait(false);
        }

        if (group is not null)
        {
            await group.DisposeAsync().ConfigureAwait(false);
        }

        if (attachments is not null)
        {
            await attachments.DisposeAsync().ConfigureAwait(false);
        }

        lock (processes)
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }

        if (ownsWorkspace)
        {
            await Options.Workspace.DisposeAsync().ConfigureAwait(false);
        }

        lifecycle.Dispose();
        abandonPipes.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Opens a shell as a process of the task (see <see cref="ProcessShell"/>); it is killed when the task
    /// ends. Throws <see cref="InvalidOperationException"/> once the task has ended or when the shell cannot start.
    /// </summary>
    protected Task<IShell> OpenProcessShellAsync(IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        lock (shells)
        {
            if (ended)
            {
                throw new InvalidOperationException("The task has ended; a shell opens only while it runs.");
            }

            var shell = ProcessShell.Start(command, tty, Options.Workspace, Options.Environment, group);
            shells.Add(shell);
            return Task.FromResult<IShell>(shell);
        }
    }

    /// <summary>Runs the task's commands. <paramref name="stopping"/> fires on kill and abort: stop starting commands then.</summary>
    protected abstract Task<ProcessOutcome> RunAsync(CancellationToken stopping);

    /// <summary>
    /// Makes the result set once every process is gone and the output drained; it takes ownership of
    /// the workspace. May throw instead (the error <see cref="WaitForResultAsync"/> reports).
    /// </summary>
    protected abstract IResultSet CreateResult(ProcessOutcome outcome, bool killed);

    /// <summary>
    /// Runs one command to its end, its output going to the log. Returns its exit code, or null when
    /// it could not be started (the reason is in the log). On kill or abort, terminates the task's processes.
    /// </summary>
    protected async Task<int?> RunProcessAsync(IReadOnlyList<string> argv, ReadOnlyMemory<byte> input, BoundedCapture? errors, CancellationToken stopping)
    {
        var workspace = Options.Workspace;
        var executable = ProcessLauncher.Resolve(argv[0], workspace.Directory, Options.Environment.GetValueOrDefault("PATH"));
        if (executable is null)
        {
            Log.WriteErrorLine($"Command not found: '{argv[0]}' is not an executable file in the task directory or on the task's PATH.");
            return null;
        }

        Process process;
        try
        {
            process = ProcessLauncher.Start(executable, argv, workspace.Directory, Options.Environment, workspace.User, group);
        }
        catch (Win32Exception e)
        {
            Log.WriteErrorLine($"Could not start '{argv[0]}': {e.Message}");
            return null;
        }

        Reaper.Track(process);
        var output = Task.WhenAll(
            OutputPump.CopyAsync(process.StandardOutput.BaseStream, Log, null, abandonPipes.Token),
            OutputPump.CopyAsync(process.StandardError.BaseStream, Log, errors, abandonPipes.Token));
        lock (processes)
        {
            processes.Add(process);
            pumps.Add(output);
            pumps.Add(FeedAsync(process.StandardInput.BaseStream, input));
        }

        try
        {
            await process.WaitForExitAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await Reaper.TerminateAllAsync(StopGracePeriod).ConfigureAwait(false);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            // So that what the engine logs next comes after the command's last output, unless a
            // background process keeps the pipes open (the end of the task deals with those).
            await output.WaitAsync(OutputSettleTimeout, Options.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        return process.ExitCode;
    }

    private async Task<IResultSet> RunAndCleanUpAsync(CancellationToken stopping)
    {
        ProcessOutcome outcome;
        try
        {
            outcome = await RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            await AbortShellsAsync().ConfigureAwait(false);

            // Whatever the task left running (background jobs, daemons) goes now.
            if (!await Reaper.TerminateAllAsync(StopGracePeriod).ConfigureAwait(false))
            {
                Log.WriteErrorLine("Some of the task's processes could not be killed (they may be stuck in the kernel); they are killed again when the task's files are deleted.");
            }
            await DrainPipesAsync().ConfigureAwait(false);

            // Before the result set (and with it the task user) can go: the volumes are handed back while the user exists.
            attachments?.EndRun(Log);

            // What is left waits for the upload: no other task's user may read it from now on.
            if (Options.Workspace.Seal() is { } notSealed)
            {
                Log.WriteErrorLine($"The task directory could not be closed to other task users: {notSealed}");
            }
        }

        var killed = lifecycle.Finish();
        return CreateResult(outcome, killed);
    }

    /// <summary>Stops the task once a fork failed at its process limit: a fork bomb ends there, and the task fails.</summary>
    private void CheckProcessLimit()
    {
        if (group is not { ProcessLimitReached: true } || Interlocked.Exchange(ref limitReported, 1) != 0)
        {
            return;
        }

        Log.WriteErrorLine($"The task reached its limit of {group.MaxProcesses} processes and threads (the engine's maxProcesses); it is stopped.");
        _ = lifecycle.KillAsync(TimeSpan.Zero);
    }

    private async Task AbortShellsAsync()
    {
        ProcessShell[] open;
        lock (shells)
        {
            ended = true;
            open = [.. shells];
        }

        foreach (var shell in open)
        {
            await shell.AbortAsync().ConfigureAwait(false);
        }
    }

    private async Task DrainPipesAsync()
    {
        Task[] all;
        lock (processes)
        {
            all = [.. pumps];
        }

        try
        {
            await Task.WhenAll(all).WaitAsync(PipeDrainTimeout, Options.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A process we could not find (it cleared its environment) still holds a pipe.
            await abandonPipes.CancelAsync().ConfigureAwait(false);
            Log.WriteErrorLine("The task's output was still open after all its processes were stopped; the rest is discarded.");
        }
    }

    private static async Task FeedAsync(Stream stdin, ReadOnlyMemory<byte> input)
    {
        try
        {
            if (!input.IsEmpty)
            {
                await stdin.WriteAsync(input).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The process did not read its input.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
    }
}
