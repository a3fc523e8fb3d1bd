namespace TcWorker.Runtime.Tasks;

/// <summary>
/// One engine's limit on concurrent tasks (<see cref="Engines.EngineCapabilities.MaxConcurrency"/>), shared
/// by every run of a worker. A worker with several engines may claim more tasks than one engine takes;
/// a run whose engine is full waits here for a free slot. Thread-safe.
/// </summary>
internal sealed class EngineSlots(int maxConcurrency)
{
    private readonly SemaphoreSlim? free = maxConcurrency > 0 ? new SemaphoreSlim(maxConcurrency, maxConcurrency) : null;

    /// <summary>The engine's limit; 0 for unbounded.</summary>
    public int MaxConcurrency { get; } = Math.Max(maxConcurrency, 0);

    /// <summary>Takes a slot now if one is free.</summary>
    /// <returns>Whether a slot was taken (always, for an unbounded engine).</returns>
    public bool TryEnter() => free?.Wait(0) ?? true;

    /// <summary>Waits for a free slot and takes it.</summary>
    /// <param name="cancellationToken">Stops waiting (the run was aborted); no slot is taken then.</param>
    /// <returns>When a slot was taken.</returns>
    public Task EnterAsync(CancellationToken cancellationToken) => free?.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/> or <see cref="EnterAsync"/>.</summary>
    public void Exit() => free?.Release();
}
