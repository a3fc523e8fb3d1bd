using System.Globalization;
using Microsoft.Extensions.Logging;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.EngineChecks;

/// <summary>
/// Starts the engines of a worker one after the other, before the first claim. A dependency that is
/// not up yet is retried with backoff until <c>worker.startTimeout</c>, which bounds the whole start;
/// a config the engine cannot use, a dependency that never came up and any other failure each end
/// the start with an exception naming the engine and the cause.
/// </summary>
internal static class EngineStarter
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts every engine. Throws <see cref="ConfigException"/> for a <see cref="ConfigurationException"/>,
    /// and <see cref="EngineStartException"/> for a dependency still unavailable at the deadline or any
    /// other failure.
    /// </summary>
    /// <param name="engines">The engines with their configured names, in config order.</param>
    /// <param name="timeout">worker.startTimeout: how long the whole start may take.</param>
    /// <param name="configSource">The config's source, for <see cref="ConfigException"/>.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logs each start and each wait.</param>
    /// <param name="stopping">A stop asked for while starting (SIGTERM, worker-runner).</param>
    /// <returns><see langword="true"/> when every engine started; <see langword="false"/> when a stop came first.</returns>
    public static async Task<bool> StartAsync(IEnumerable<NamedEngine> engines, TimeSpan timeout, string configSource, TimeProvider time, ILogger logger, CancellationToken stopping)
    {
        var deadline = time.GetUtcNow() + timeout;
        foreach (var (name, engine) in engines)
        {
            if (!await StartOneAsync(name, engine, deadline, timeout, configSource, time, logger, stopping).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<bool> StartOneAsync(string name, IEngine engine, DateTimeOffset deadline, TimeSpan timeout, string configSource, TimeProvider time, ILogger logger, CancellationToken stopping)
    {
        DependencyUnavailableException? last = null;
        for (var attempt = 0; ; attempt++)
        {
            using var giveUp = new CancellationTokenSource(Left(deadline, time), time);
            using var token = CancellationTokenSource.CreateLinkedTokenSource(stopping, giveUp.Token);
            try
            {
                // On the thread pool, so that an engine that blocks its thread cannot defeat the deadline.
                await Task.Run(() => engine.StartAsync(token.Token), CancellationToken.None).WaitAsync(token.Token).ConfigureAwait(false);
                WorkerLog.EngineStarted(logger, name);
                return true;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return false;
            }
            catch (OperationCanceledException e) when (giveUp.IsCancellationRequested)
            {
                // An engine that said it was unavailable, and whose last try ran into the deadline, is still
                // unavailable for the same reason, whichever came first at the end: its answer or the deadline.
                throw last is not null
                    ? Unavailable(name, last, timeout)
                    : new EngineStartException(name, isUnavailable: true, $"The engine '{name}' did not finish starting within {Format(timeout)} (worker.startTimeout)", e);
            }
            catch (ConfigurationException e)
            {
                throw new ConfigException(configSource, [$"$.engines.{name}: the engine '{name}' cannot start: {e.Message}"]);
            }
            catch (DependencyUnavailableException e)
            {
                last = e;
            }
            catch (Exception e)
            {
                throw new EngineStartException(name, isUnavailable: false, $"The engine '{name}' failed to start: {e.GetType().Name}: {e.Message}", e);
            }

            var left = Left(deadline, time);
            if (left <= TimeSpan.Zero)
            {
                throw Unavailable(name, last, timeout);
            }

            var backoff = Backoff(attempt);
            var delay = backoff < left ? backoff : left;
            WorkerLog.EngineWaiting(logger, name, last.Message, delay.TotalSeconds, deadline);
            try
            {
                await Task.Delay(delay, time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return false;
            }

            // No attempt at the deadline itself: its token would fire before it began.
            if (Left(deadline, time) <= TimeSpan.Zero)
            {
                throw Unavailable(name, last, timeout);
            }
        }
    }

    private static EngineStartException Unavailable(string name, DependencyUnavailableException last, TimeSpan timeout) =>
        new(name, isUnavailable: true, $"The engine '{name}' is unavailable: {last.Message} (still after {Format(timeout)}, worker.startTimeout)", last);

    /// <summary>1 s, 2 s, 4 s, ... up to 30 s between attempts.</summary>
    internal static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempt, 10))));

    private static TimeSpan Left(DateTimeOffset deadline, TimeProvider time)
    {
        var left = deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    internal static string Format(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
