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
    private readonly PipeReader _body;
    private readonly CancellationToken _aborted;
    private readonly TimeSpan _window;
    private readonly long _bytesPerWindow;
    private readonly CancellationTokenSource? _pace;
    private readonly CancellationTokenSource? _deadline;
    private readonly CancellationTokenSource _stop;
    private long _windowBytes;
    private ReadOnlySequence<byte> _last;
    private long _counted;

    /// <param name="context">The request whose body is read.</param>
    /// <param name="minBytesPerSecond">The minimum rate; 0 for none.</param>
    /// <param name="window">The window the rate is measured over.</param>
    /// <param name="deadline">How long the whole body may take, or null.</param>
    /// <param name="timeProvider">The clock.</param>
    public PacedBodyReader(HttpContext context, double minBytesPerSecond, TimeSpan window, TimeSpan? deadline, TimeProvider timeProvider)
    {
        _body = context.Request.BodyReader;
        _aborted = context.RequestAborted;
        _window = window;
        _bytesPerWindow = (long)Math.Ceiling(minBytesPerSecond * window.TotalSeconds);
        List<CancellationToken> stops = [_aborted];
        if (_bytesPerWindow > 0)
        {
            _pace = new CancellationTokenSource(window, timeProvider);
            stops.Add(_pace.Token);
        }

        if (deadline is { } limit)
        {
            _deadline = new CancellationTokenSource(limit, timeProvider);
            stops.Add(_deadline.Token);
        }

        _stop = CancellationTokenSource.CreateLinkedTokenSource([.. stops]);
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        using var linked = cancellationToken.CanBeCanceled && cancellationToken != _aborted
            ? CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken)
            : null;
        ReadResult result;
        try
        {
            result = await _body.ReadAsync(linked?.Token ?? _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_pace?.IsCancellationRequested == true || _deadline?.IsCancellationRequested == true)
        {
            throw TooSlow();
        }

        return Arrived(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!_body.TryRead(out result))
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
        _counted = _last.Slice(consumed).Length;
        _body.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _body.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _body.Complete(exception);

    public void Dispose()
    {
        _stop.Dispose();
        _pace?.Dispose();
        _deadline?.Dispose();
    }

    private ReadResult Arrived(ReadResult result)
    {
        _windowBytes += result.Buffer.Length - _counted;
        _last = result.Buffer;
        _counted = result.Buffer.Length;
        if (_pace is not null && _windowBytes >= _bytesPerWindow)
        {
            // a new window begins; what this one got beyond its due is not carried over
            _windowBytes = 0;
            _pace.CancelAfter(_window);
        }

        return result;
    }

    private QueueError TooSlow() => _deadline?.IsCancellationRequested == true
        ? new QueueError(HttpStatusCode.RequestTimeout, "RequestTimeout", "The request body did not arrive in time")
        : new QueueError(HttpStatusCode.RequestTimeout, "RequestTimeout", $"The request body arrived too slowly: less than {_bytesPerWindow} bytes in {_window.TotalSeconds} s");
}
