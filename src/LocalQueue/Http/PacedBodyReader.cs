using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace TcWorker.LocalQueue.Http;

/// <summary>
/// A request body that must keep arriving: each window must bring at least the minimum rate times
/// the window, and a window starts only when the previous one got its bytes, so bytes sent ahead
/// never pay for a later stall (Kestrel's MinRequestBodyDataRate averages over the whole body, so
/// a fast first megabyte buys hours of silence). With a deadline, the whole body must also arrive
/// before it. A read that misses either throws a 408 <see cref="QueueError"/>. The buffers are the
/// request's own (no copy). One reader at a time, as any <see cref="PipeReader"/>; dispose it once
/// the body is read.
/// </summary>
internal sealed class PacedBodyReader : PipeReader, IDisposable
{
    private readonly PipeReader body;
    private readonly CancellationToken aborted;
    private readonly TimeSpan window;
    private readonly long bytesPerWindow;
    private readonly CancellationTokenSource? pace;
    private readonly CancellationTokenSource? deadline;
    private readonly CancellationTokenSource stop;
    private long windowBytes;
    private ReadOnlySequence<byte> last;
    private long counted;

    /// <param name="context">The request whose body is read.</param>
    /// <param name="minBytesPerSecond">The minimum rate; 0 for none.</param>
    /// <param name="window">The window the rate is measured over.</param>
    /// <param name="deadline">How long the whole body may take, or null.</param>
    /// <param name="timeProvider">The clock.</param>
    public PacedBodyReader(HttpContext context, double minBytesPerSecond, TimeSpan window, TimeSpan? deadline, TimeProvider timeProvider)
    {
        body = context.Request.BodyReader;
        aborted = context.RequestAborted;
        this.window = window;
        bytesPerWindow = (long)Math.Ceiling(minBytesPerSecond * window.TotalSeconds);
        List<CancellationToken> stops = [aborted];
        if (bytesPerWindow > 0)
        {
            pace = new CancellationTokenSource(window, timeProvider);
            stops.Add(pace.Token);
        }

        if (deadline is { } limit)
        {
            this.deadline = new CancellationTokenSource(limit, timeProvider);
            stops.Add(this.deadline.Token);
        }

        stop = CancellationTokenSource.CreateLinkedTokenSource([.. stops]);
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        using var linked = cancellationToken.CanBeCanceled && cancellationToken != aborted
            ? CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken)
            : null;
        ReadResult result;
        try
        {
            result = await body.ReadAsync(linked?.Token ?? stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (pace?.IsCancellationRequested == true || deadline?.IsCancellationRequested == true)
        {
            throw TooSlow();
        }

        return Arrived(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!body.TryRead(out result))
        {
            return false;
        }

        result = Arrived(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // what stays unconsumed comes back in the next read, already counted
        counted = last.Slice(consumed).Length;
        body.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => body.CancelPendingRead();

    public override void Complete(Exception? exception = null) => body.Complete(exception);

    public void Dispose()
    {
        stop.Dispose();
        pace?.Dispose();
        deadline?.Dispose();
    }

    private ReadResult Arrived(ReadResult result)
    {
        windowBytes += result.Buffer.Length - counted;
        last = result.Buffer;
        counted = result.Buffer.Length;
        if (pace is not null && windowBytes >= bytesPerWindow)
        {
            // a new window begins; what this one got beyond its due is not carried over
            windowBytes = 0;
            pace.CancelAfter(window);
        }

        return result;
    }

    private QueueError TooSlow() => deadline?.IsCancellationRequested == true
        ? new QueueError(HttpStatusCode.RequestTimeout, "RequestTimeout", "The request body did not arrive in time")
        : new QueueError(HttpStatusCode.RequestTimeout, "RequestTimeout", $"The request body arrived too slowly: less than {bytesPerWindow} bytes in {window.TotalSeconds} s");
}
