namespace TcWorker.Runtime.Worker;

/// <summary>
/// Whether the claim loop still moves, for the service manager's watchdog. The loop beats at each
/// iteration and says when it waits on purpose (a backoff, the engines' health interval, or with no
/// bound while its capacity is full or its running tasks finish). It is stalled when a step has taken
/// longer than the watchdog's window: a claimWork call that hangs, a health check or a garbage
/// collection that never returns. Thread-safe.
/// </summary>
internal sealed class ClaimLoopProgress(TimeProvider time)
{
    private const long Unbounded = long.MaxValue;
    private long lastBeat;
    private long waitUntil;

    /// <summary>The loop has begun an iteration (or a step of one).</summary>
    public void Beat()
    {
        Interlocked.Exchange(ref waitUntil, 0);
        Interlocked.Exchange(ref lastBeat, time.GetTimestamp());
    }

    /// <summary>The loop waits on purpose for at most <paramref name="atMost"/>, or for as long as it takes when null.</summary>
    /// <param name="atMost">How long the wait may last.</param>
    public void Waiting(TimeSpan? atMost)
    {
        var now = time.GetTimestamp();
        Interlocked.Exchange(ref lastBeat, now);
        Interlocked.Exchange(ref waitUntil, atMost is { } wait ? now + (long)(wait.TotalSeconds * time.TimestampFrequency) : Unbounded);
    }

    /// <summary>
    /// True when the loop has begun and its current step (or its chosen wait) has gone on for longer
    /// than <paramref name="window"/>. False before the loop's first iteration: start-up is bounded by
    /// the engines' start timeout and the service manager's start timeout instead.
    /// </summary>
    /// <param name="window">The watchdog's window.</param>
    /// <returns>Whether the loop is stalled.</returns>
    public bool IsStalled(TimeSpan window)
    {
        var beat = Interlocked.Read(ref lastBeat);
        var until = Interlocked.Read(ref waitUntil);
        if (beat == 0 || until == Unbounded)
        {
            return false;
        }

        return time.GetElapsedTime(Math.Max(beat, until)) > window;
    }
}
