using Microsoft.Extensions.Logging;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.EngineChecks;

/// <summary>An error the worker reports to worker-runner (and through it to worker-manager).</summary>
/// <param name="Title">A short title.</param>
/// <param name="Description">What happened, in words an operator can act on.</param>
/// <param name="Extra">Structured details.</param>
internal sealed record WorkerError(string Title, string Description, IReadOnlyDictionary<string, string> Extra);

/// <summary>
/// Asks the engines whether they can take tasks: before each claim (<see cref="CheckAsync"/>) and every
/// <c>worker.healthCheckInterval</c> (<see cref="RunAsync"/>). Each check is bounded; an exception or a
/// late answer counts as unhealthy. A change of health is logged and reported once, not at every check;
/// after <c>worker.unhealthyTimeout</c> of continuous unhealthiness <see cref="Expired"/> completes.
/// Thread-safe; checks never overlap, and an engine whose last check has not answered is not asked again.
/// </summary>
internal sealed class EngineHealthMonitor : IDisposable
{
    /// <summary>The longest a single check may take (shorter when the interval is).</summary>
    public static readonly TimeSpan MaxCheckDuration = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<NamedEngine> engines;
    private readonly Task?[] late;
    private readonly TimeSpan unhealthyTimeout;
    private readonly TimeSpan checkTimeout;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Func<WorkerError, Task>? report;
    private readonly SemaphoreSlim checking = new(1, 1);
    private readonly TaskCompletionSource expired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long lastCheckTicks = long.MinValue;
    private string? problems;
    private DateTimeOffset unhealthySince;

    /// <summary>Creates the monitor.</summary>
    /// <param name="engines">The engines with their configured names.</param>
    /// <param name="interval">worker.healthCheckInterval.</param>
    /// <param name="unhealthyTimeout">worker.unhealthyTimeout.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logs changes of health.</param>
    /// <param name="report">Reports changes to unhealthy, and the expiry, to worker-runner; null when not run by it.</param>
    public EngineHealthMonitor(IEnumerable<NamedEngine> engines, TimeSpan interval, TimeSpan unhealthyTimeout, TimeProvider time, ILogger logger, Func<WorkerError, Task>? report)
    {
        this.engines = [.. engines];
        late = new Task?[this.engines.Count];
        Interval = interval;
        this.unhealthyTimeout = unhealthyTimeout;
        checkTimeout = interval < MaxCheckDuration ? interval : MaxCheckDuration;
        this.time = time;
        this.logger = logger;
        this.report = report;
    }

    /// <summary>worker.healthCheckInterval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Completes once the engines have been unhealthy for worker.unhealthyTimeout without a break.</summary>
    public Task Expired => expired.Task;

    /// <summary>Why the engines cannot take tasks, as of the last check; null when healthy.</summary>
    public string? Problems => Volatile.Read(ref problems);

    /// <summary>Checks every engine now (waiting for a check in progress first).</summary>
    /// <param name="cancellationToken">The worker stops.</param>
    /// <returns>Whether every engine is healthy.</returns>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        await checking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CheckNowAsync(cancellationToken).ConfigureAwait(false);
            return Problems is null;
        }
        finally
        {
            checking.Release();
        }
    }

    /// <summary>Checks every interval, counted from the last check of any kind, until stopped or expired.</summary>
    /// <param name="stopping">Ends the loop.</param>
    /// <returns>When stopped or expired.</returns>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!expired.Task.IsCompleted)
            {
                await Task.Delay(UntilDue(), time, stopping).ConfigureAwait(false);
                await checking.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    if (UntilDue() <= TimeSpan.Zero)
                    {
                        await CheckNowAsync(stopping).ConfigureAwait(false);
                    }
                }
                finally
                {
                    checking.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The worker stops.
        }
    }

    /// <inheritdoc />
    public void Dispose() => checking.Dispose();

    private TimeSpan UntilDue()
    {
        var last = Interlocked.Read(ref lastCheckTicks);
        if (last == long.MinValue)
        {
            Interlocked.CompareExchange(ref lastCheckTicks, time.GetUtcNow().UtcTicks, long.MinValue);
            return Interval;
        }

        var due = new DateTimeOffset(last, TimeSpan.Zero) + Interval - time.GetUtcNow();
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    private async Task CheckNowAsync(CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(engines.Select((engine, index) => CheckOneAsync(index, cancellationToken))).ConfigureAwait(false);
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref lastCheckTicks, now.UtcTicks);
        var unhealthy = answers.OfType<string>().ToList();
        var current = unhealthy.Count == 0 ? null : string.Join("; ", unhealthy);
        var previous = Problems;
        if (current != previous)
        {
            if (current is null)
            {
                WorkerLog.HealthyAgain(logger, (now - unhealthySince).TotalSeconds);
            }
            else
            {
                unhealthySince = previous is null ? now : unhealthySince;
                WorkerLog.Unhealthy(logger, current);
                await ReportAsync("Engine unhealthy", $"{current}. tc-worker claims no task until the engines are healthy again, and stops after {EngineStarter.Format(unhealthyTimeout)} (worker.unhealthyTimeout).", current, now).ConfigureAwait(false);
            }

            Volatile.Write(ref problems, current);
        }

        if (current is not null && now - unhealthySince >= unhealthyTimeout && !expired.Task.IsCompleted)
        {
            WorkerLog.UnhealthyTooLong(logger, (now - unhealthySince).TotalSeconds, current);
            await ReportAsync("Engine unhealthy for too long", $"{current}. Unhealthy for {EngineStarter.Format(now - unhealthySince)} (worker.unhealthyTimeout): tc-worker stops with exit code 69.", current, now).ConfigureAwait(false);
            expired.TrySetResult();
        }
    }

    /// <summary>Asks one engine, bounded by the check timeout; returns why it is unhealthy, or null.</summary>
    private async Task<string?> CheckOneAsync(int index, CancellationToken cancellationToken)
    {
        var (name, engine) = engines[index];
        if (late[index] is { IsCompleted: false })
        {
            return $"engine '{name}': its previous health check has not answered yet";
        }

        using var timeout = new CancellationTokenSource(checkTimeout, time);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        // On the thread pool, so that an engine that blocks its thread cannot hold up the worker loop.
        var check = Task.Run(() => engine.CheckHealthAsync(token.Token), CancellationToken.None);
        try
        {
            var health = await check.WaitAsync(token.Token).ConfigureAwait(false);
            return health is null ? $"engine '{name}': the health check answered nothing"
                : health.IsHealthy ? null
                : $"engine '{name}': {health.Reason}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            late[index] = check;
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            late[index] = check;
            return $"engine '{name}': the health check did not answer within {EngineStarter.Format(checkTimeout)}";
        }
        catch (Exception e)
        {
            return $"engine '{name}': the health check failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private async Task ReportAsync(string title, string description, string reasons, DateTimeOffset now)
    {
        if (report is null)
        {
            return;
        }

        try
        {
            await report(new WorkerError(title, description, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["reasons"] = reasons,
                ["unhealthySince"] = unhealthySince.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["reportedAt"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            })).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            WorkerLog.ProtocolProblem(logger, $"the error report could not be sent ({e.Message})");
        }
    }
}
