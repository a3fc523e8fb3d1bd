using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.Testing;

/// <content>Starting a worker to see how its engines' start ends, as <c>tc-worker work</c> would report it.</content>
public sealed partial class WorkerHarness
{
    /// <summary>How long engines may report a dependency as unavailable in <see cref="RunStartAsync"/>, unless the config says.</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts a worker with the harness's config, and <paramref name="config"/> merged over it, against an
    /// empty local queue, and tells how the start ended: the exit code <c>tc-worker work</c> would give and
    /// its message. Use it to check that the engine's <c>StartAsync</c> failures map as they should: a
    /// <c>ConfigurationException</c> (from the provider's <c>Create</c> or from <c>StartAsync</c>) to 78, a
    /// <c>DependencyUnavailableException</c> that never stops to 69, anything else to 70. A start that
    /// succeeds ends with 0 once the worker has been idle for a second. Unless the config sets
    /// <c>worker.startTimeout</c>, engines get <see cref="DefaultStartTimeout"/>. A config the worker
    /// refuses outright (schema violations) also ends with 78, its message listing every problem.
    /// </summary>
    /// <param name="config">A fragment (YAML or JSON) merged over the harness's config, e.g. <c>engines: {my-engine: {socket: /nowhere}}</c>.</param>
    /// <param name="cancellationToken">Stops the worker early, as SIGTERM would (the result is then exit code 0).</param>
    /// <returns>How the start ended.</returns>
    public async Task<WorkerStartResult> RunStartAsync(string? config = null, CancellationToken cancellationToken = default)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-harness-start-").FullName;
        try
        {
            var registry = BuildRegistry();
            var queue = await StartQueueAsync(folder, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            await using (queue.ConfigureAwait(false))
            {
                var document = BuildConfig(config, "the start's config", null, queue, Path.Combine(folder, "worker"));
                var worker = (JObject)document["worker"]!;
                worker["startTimeout"] ??= DefaultStartTimeout.TotalSeconds;
                worker["idleTimeout"] ??= 1;
                var loaded = WorkerConfig.FromDocument(document, "the harness's start config");
                using var lifetime = new WorkerLifetime();
                using var stop = cancellationToken.Register(lifetime.StopGracefully);
                try
                {
                    var reason = await Task.Run(() => WorkerHost.RunAsync(loaded, registry, lifetime, LoggerFactory), CancellationToken.None).ConfigureAwait(false);
                    var message = reason switch
                    {
                        WorkerStopReason.Unhealthy => "the engines stayed unhealthy for worker.unhealthyTimeout",
                        WorkerStopReason.FatalError => "a run ended with a fatal error",
                        _ => null,
                    };
                    return new WorkerStartResult { ExitCode = WorkerExitCodes.For(reason), Message = message, Reason = reason };
                }
                catch (Exception e) when (e is EngineStartException or ConfigException)
                {
                    return new WorkerStartResult { ExitCode = WorkerExitCodes.For(e), Message = e.Message, Error = e };
                }
            }
        }
        finally
        {
            TryDelete(folder);
        }
    }
}

/// <summary>How a worker's start ended (<see cref="WorkerHarness.RunStartAsync"/>). New members may be added.</summary>
public sealed class WorkerStartResult
{
    /// <summary>The exit code <c>tc-worker work</c> would give: 0, 69, 70 or 78.</summary>
    public required int ExitCode { get; init; }

    /// <summary>What <c>tc-worker</c> would print; null when the worker started and stopped as asked.</summary>
    public string? Message { get; init; }

    /// <summary>Why the worker stopped, when it got past the start.</summary>
    public WorkerStopReason? Reason { get; init; }

    /// <summary>The exception that ended the start, when it did not succeed.</summary>
    public Exception? Error { get; init; }

    /// <inheritdoc />
    public override string ToString() => Message is null ? $"exit code {ExitCode}" : $"exit code {ExitCode}: {Message}";
}
