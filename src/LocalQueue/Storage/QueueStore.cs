namespace TcWorker.LocalQueue.Storage;

/// <summary>
/// Serialises every read and change of the queue's state: one operation at a time, each in one
/// SQLite transaction. Also wakes claimWork long polls when a queue gets pending work.
/// </summary>
internal sealed class QueueStore : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Dictionary<string, TaskCompletionSource> signals = new(StringComparer.Ordinal);
    private readonly Lock signalLock = new();
    private long seq;

    public QueueStore(string path)
    {
        Database = new QueueDatabase(path);
        seq = Database.MaxSeq();
    }

    public QueueDatabase Database { get; }

    /// <summary>The next value of the FIFO order among pending tasks of equal priority. Only call inside <see cref="RunAsync{T}"/>.</summary>
    public long NextSeq() => ++seq;

    /// <summary>Runs <paramref name="operation"/> alone, in one transaction, committed when it returns; then wakes the claimers of the queues it made pending.</summary>
    public async Task<T> RunAsync<T>(Func<QueueDatabase, ISet<string>, T> operation, CancellationToken cancellationToken = default)
    {
        var woken = new HashSet<string>(StringComparer.Ordinal);
        T result;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = Database.Begin();
            result = operation(Database, woken);
            transaction.Commit();
        }
        finally
        {
            gate.Release();
        }

        foreach (var queue in woken)
        {
            Pulse(queue);
        }

        return result;
    }

    /// <summary>A task that completes the next time <paramref name="queue"/> gets pending work. Take it before looking for work.</summary>
    public Task WhenPending(string queue)
    {
        lock (signalLock)
        {
            if (!signals.TryGetValue(queue, out var signal))
            {
                signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signals[queue] = signal;
            }

            return signal.Task;
        }
    }

    public void Dispose()
    {
        Database.Dispose();
        gate.Dispose();
    }

    private void Pulse(string queue)
    {
        TaskCompletionSource? signal;
        lock (signalLock)
        {
            signals.Remove(queue, out signal);
        }

        signal?.TrySetResult();
    }
}
