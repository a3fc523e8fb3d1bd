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
/// </summary>
public sealed class TaskLog : ITaskLog, IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly FileStream stream;
    private readonly SafeFileHandle file;
    private TaskCompletionSource changed = NewSignal();
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

    /// <summary>The log file's full path. Complete once <see cref="IsClosed"/> is <see langword="true"/>.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public long Length => Interlocked.Read(ref length);

    /// <inheritdoc />
    public bool IsClosed => closed;

    /// <summary>The error that made a write fail and closed the log early, or <see langword="null"/>.</summary>
    public Exception? WriteError => Volatile.Read(ref writeError);

    /// <inheritdoc />
    public void WriteLine(string message) => WriteSystemLines(ITaskLog.SystemPrefix, message);

    /// <inheritdoc />
    public void AddFilter(ILogFilter filter) => throw new NotSupportedException("Log filters are not wired into the task log yet.");

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
        try
        {
            CloseLocked();
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Closes the log, waiting asynchronously for a write in progress. Idempotent.</summary>
    /// <returns>When the log is closed.</returns>
    public async Task CloseAsync()
    {
        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            CloseLocked();
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Closes the log; the file stays.</summary>
    /// <returns>When closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <summary>Closes the log; the file stays.</summary>
    public void Dispose() => Close();

    /// <summary>A task that completes at the next write or at close; take it before reading <see cref="Length"/>.</summary>
    internal Task NextChange => Volatile.Read(ref changed).Task;

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
                RandomAccess.Write(file, data, length);
                Published(data.Length);
            }
            catch (IOException e)
            {
                Broken(e);
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    private void Published(int count)
    {
        Interlocked.Add(ref length, count);
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
    }

    /// <summary>A failed write may have left part of its bytes in the file: close, so nothing is appended after them.</summary>
    private void Broken(IOException error)
    {
        Interlocked.CompareExchange(ref writeError, error, null);
        CloseLocked();
    }

    private void CloseLocked()
    {
        if (closed)
        {
            return;
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
    }
}
