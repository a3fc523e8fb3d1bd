using Microsoft.Win32.SafeHandles;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// Reads a <see cref="TaskLog"/> from the beginning, waiting for more until the log is closed.
/// Not thread-safe (like any stream); every reader has its own file handle and position.
/// </summary>
internal sealed class TaskLogReader : Stream
{
    private readonly TaskLog log;
    private readonly SafeFileHandle file;
    private long position;

    public TaskLogReader(TaskLog log)
    {
        this.log = log;
        file = File.OpenHandle(log.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            // Take the signal before looking at the length, so a write in between still wakes us.
            var change = log.NextChange;
            var available = log.Length - position;
            if (available > 0)
            {
                var wanted = (int)Math.Min(buffer.Length, available);
                // Bytes below the published length are in the page cache: a synchronous read takes
                // microseconds, where an asynchronous one costs a thread-pool round trip per chunk.
                cancellationToken.ThrowIfCancellationRequested();
                var read = RandomAccess.Read(file, buffer.Span[..wanted], position);
                if (read > 0)
                {
                    position += read;
                    return read;
                }
            }
            else if (log.IsClosed)
            {
                return 0;
            }

            await change.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        file.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
