using System.Text;
using Microsoft.Win32.SafeHandles;
using TcWorker.Shared;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The log of one task run, kept in one file: one writer appends, any number of readers follow it
/// from the beginning and live until it is closed. Thread-safe: every write is appended whole and
/// in one piece, and readers are woken by writes and by <see cref="Close"/>, never by polling.
/// The file outlives the log: the owner uploads it after closing and deletes it when done.
/// Writes never throw for a failing file (a full disk): the log records the error in
/// <see cref="WriteError"/> and closes, so readers still see a consistent prefix.
/// <para>
/// Log filters (<see cref="AddFilter"/>) see every later write, in order and one at a time, under the
/// write lock; their output is what the file, readers and <see cref="Length"/> see. A filter that
/// fails closes the log the same way, after one error line written past the filters: nothing
/// unfiltered is stored. Without filters a write is appended as it is, with no copy.
/// </para>
/// </summary>
public sealed class TaskLog : ITaskLog, IAsyncDisposable, IDisposable
{
    /// <summary>The most bytes passed through the filters at once: bounds the filters' buffers.</summary>
    private const int FilterSlice = 64 * 1024;

    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly FileStream stream;
    private readonly SafeFileHandle file;
    private readonly Action<Exception>? failed;
    private TaskCompletionSource changed = NewSignal();
    private readonly TaskCompletionSource closing = NewSignal();
    private LogFilterChain? filters;
    private long length;
    private volatile bool closed;
    private Exception? writeError;

    /// <summary>
    /// Creates the log file (replacing one that exists) and opens it for writing. On Unix the file is
    /// 600 from its creation: tasks running as other users never read another task's log.
    /// </summary>
    /// <param name="path">Where the file goes, normally under the worker's temporary folder.</param>
    public TaskLog(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        stream = OwnerOnly.OpenFile(Path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        file = stream.SafeFileHandle;
    }

    /// <summary>Creates the log file and tells <paramref name="failed"/> when the log breaks.</summary>
    /// <param name="path">Where the file goes, normally under the worker's temporary folder.</param>
    /// <param name="failed">
    /// Called once, with <see cref="WriteError"/>, when a write or a filter fails and the log closes early;
    /// on the writer's thread, after the write lock is released. It must not throw.
    /// </param>
    public TaskLog(string path, Action<Exception> failed)
        : this(path) => this.failed = failed;

    /// <summary>The log file's full path. Complete once <see cref="IsClosed"/> is <see langword="true"/>.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public long Length => Interlocked.Read(ref length);

    /// <inheritdoc />
    public bool IsClosed => closed;

    /// <summary>The error that made a write or a log filter fail and closed the log early, or <see langword="null"/>.</summary>
    public Exception? WriteError => Volatile.Read(ref writeError);

    /// <inheritdoc />
    public void WriteLine(string message) => WriteSystemLines(ITaskLog.SystemPrefix, message);

    /// <inheritdoc />
    public void AddFilter(ILogFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        writeLock.Wait();
        try
        {
            if (!closed)
            {
                var chain = filters ?? new LogFilterChain();
                chain.Add(filter);
                filters = chain;
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <inheritdoc />
    public void WriteErrorLine(string message) => WriteSystemLines(ITaskLog.ErrorPrefix, message);

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.IsEmpty || closed)
        {
            return ValueTask.CompletedTask;
        }

        // The lock is almost always free (one pump per stream): take it without an await.
        if (writeLock.Wait(0, CancellationToken.None))
        {
            AppendAndRelease(data.Span);
            return ValueTask.CompletedTask;
        }

        return WriteWhenFreeAsync(data, cancellationToken);
    }

    /// <inheritdoc />
    public Stream OpenReader() => new TaskLogReader(this);

    /// <summary>Closes the log: later writes are ignored and readers reach the end. Idempotent.</summary>
    public void Close()
    {
        writeLock.Wait();
        Exception? failure;
        try
        {
            failure = CloseLocked();
        }
        finally
        {
            writeLock.Release();
        }

        Report(failure);
    }

    /// <summary>Closes the log, waiting asynchronously for a write in progress. Idempotent.</summary>
    /// <returns>When the log is closed.</returns>
    public async Task CloseAsync()
    {
        await writeLock.WaitAsync().ConfigureAwait(false);
        Exception? failure;
        try
        {
            failure = CloseLocked();
        }
        finally
        {
            writeLock.Release();
        }

        Report(failure);
    }

    /// <summary>Closes the log; the file stays.</summary>
    /// <returns>When closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <summary>Closes the log; the file stays.</summary>
    public void Dispose() => Close();

    /// <summary>A task that completes at the next write or at close; take it before reading <see cref="Length"/>.</summary>
    internal Task NextChange => Volatile.Read(ref changed).Task;

    /// <summary>A task that completes when the log is closed (and not at writes).</summary>
    internal Task WhenClosed => closing.Task;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void WriteSystemLines(string prefix, string message)
    {
        if (closed)
        {
            return;
        }

        var text = new StringBuilder();
        foreach (var line in (message ?? string.Empty).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            text.Append(prefix).Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        writeLock.Wait();
        AppendAndRelease(bytes);
    }

    private async ValueTask WriteWhenFreeAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        AppendAndRelease(data.Span);
    }

    /// <summary>Appends with the write lock held, then releases it.</summary>
    private void AppendAndRelease(ReadOnlySpan<byte> data)
    {
        Exception? failure = null;
        try
        {
            if (closed)
            {
                return;
            }

            try
            {
                // A write is appended whole or not at all (never cancelled half-way). Written
                // synchronously: an append to the page cache takes microseconds, far less than the
                // thread-pool round trip an asynchronous file write costs on Unix for every chunk.
                if (filters is null)
                {
                    RandomAccess.Write(file, data, length);
                    Published(data.Length);
                }
                else
                {
                    AppendFiltered(filters, data);
                }
            }
            catch (IOException e)
            {
                failure = Broken(e);
            }
            catch (LogFilterException e)
            {
                failure = FilterFailed(e);
            }
        }
        finally
        {
            writeLock.Release();
        }

        Report(failure);
    }

    /// <summary>
    /// Passes a write through the filters in slices, so their buffers stay small whatever the size
    /// of the write, and publishes it once, whole, at the end.
    /// </summary>
    private void AppendFiltered(LogFilterChain chain, ReadOnlySpan<byte> data)
    {
        long written = 0;
        try
        {
            while (!data.IsEmpty)
            {
                var slice = data[..Math.Min(data.Length, FilterSlice)];
                data = data[slice.Length..];
                var output = chain.Transform(slice);
                RandomAccess.Write(file, output, length + written);
                written += output.Length;
            }
        }
        finally
        {
            // What a failing slice leaves behind was filtered by every filter: it may be read.
            Published(written);
        }
    }

    /// <summary>At close: each filter releases what it holds, in order, through the filters after it.</summary>
    private void FlushFilters(LogFilterChain chain)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            long written = 0;
            try
            {
                var output = chain.Flush(i);
                RandomAccess.Write(file, output, length);
                written = output.Length;
            }
            finally
            {
                Published(written);
            }
        }
    }

    /// <summary>
    /// Fails closed: what the filters still hold is dropped (it was not filtered by all of them), one
    /// error line goes in past the filters, and the log closes.
    /// </summary>
    private Exception FilterFailed(LogFilterException error)
    {
        filters = null;
        Interlocked.CompareExchange(ref writeError, error, null);
        try
        {
            var line = Encoding.UTF8.GetBytes(
                $"{ITaskLog.ErrorPrefix}{error.Message}. The log ends here, so that no unfiltered output gets into it; the run resolves as exception/internal-error.\n");
            RandomAccess.Write(file, line, length);
            Published(line.Length);
        }
        catch (IOException)
        {
            // The filter's failure is the one to report.
        }

        CloseLocked();
        return error;
    }

    private void Report(Exception? failure)
    {
        if (failure is not null)
        {
            failed?.Invoke(failure);
        }
    }

    private void Published(long count)
    {
        if (count == 0)
        {
            return;
        }

        Interlocked.Add(ref length, count);
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
    }

    /// <summary>A failed write may have left part of its bytes in the file: close, so nothing is appended after them.</summary>
    private Exception Broken(IOException error)
    {
        filters = null;
        Interlocked.CompareExchange(ref writeError, error, null);
        CloseLocked();
        return error;
    }

    /// <summary>Closes, flushing the filters first; returns the error when that fails.</summary>
    private Exception? CloseLocked()
    {
        if (closed)
        {
            return null;
        }

        if (filters is { } chain)
        {
            filters = null;
            try
            {
                FlushFilters(chain);
            }
            catch (IOException e)
            {
                return Broken(e);
            }
            catch (LogFilterException e)
            {
                return FilterFailed(e);
            }
        }

        try
        {
            stream.Dispose();
        }
        catch (IOException e)
        {
            Interlocked.CompareExchange(ref writeError, e, null);
        }

        closed = true;
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
        closing.TrySetResult();
        return null;
    }
}
