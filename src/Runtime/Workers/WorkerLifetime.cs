using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// How a worker is asked to stop: gracefully (stop claiming, let running tasks finish) or now
/// (abort running tasks as worker-shutdown). Thread-safe; each request fires once.
/// </summary>
public sealed class WorkerLifetime : IWorkerLifetime, IDisposable
{
    private readonly CancellationTokenSource graceful = new();
    private readonly CancellationTokenSource now = new();
    private readonly CancellationTokenSource stopping;

    /// <summary>Creates the lifetime.</summary>
    public WorkerLifetime() => stopping = CancellationTokenSource.CreateLinkedTokenSource(graceful.Token, now.Token);

    /// <summary>Fires when a graceful stop was asked for (also when a stop now was).</summary>
    public CancellationToken StoppingGracefully => stopping.Token;

    /// <summary>Fires when a stop now was asked for.</summary>
    public CancellationToken StoppingNow => now.Token;

    /// <inheritdoc />
    public CancellationToken Stopping => stopping.Token;

    /// <inheritdoc />
    public void StopGracefully() => Cancel(graceful);

    /// <inheritdoc />
    public void StopNow() => Cancel(now);

    /// <inheritdoc />
    public void Dispose()
    {
        stopping.Dispose();
        graceful.Dispose();
        now.Dispose();
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The worker is gone already.
        }
    }
}
