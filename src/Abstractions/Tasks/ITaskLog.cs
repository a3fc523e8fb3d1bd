namespace TcWorker.Tasks;

/// <summary>
/// The log of one task run: one append-only byte stream, kept whole on disk, with any number of
/// readers that start at the beginning and follow it live until it is closed. Thread-safe: each
/// write is appended atomically. Nothing is dropped: arbitrary bytes, huge lines and binary output
/// arrive as written.
/// </summary>
public interface ITaskLog
{
    /// <summary>System lines start with this prefix.</summary>
    const string SystemPrefix = "[tc-worker] ";

    /// <summary>System error lines start with this prefix.</summary>
    const string ErrorPrefix = "[tc-worker:error] ";

    /// <summary>Appends a system line, <c>[tc-worker] message</c>. Ignored after the log is closed.</summary>
    /// <param name="message">The message; each line of it gets the prefix.</param>
    void WriteLine(string message);

    /// <summary>Appends a system error line, <c>[tc-worker:error] message</c>. Ignored after the log is closed.</summary>
    /// <param name="message">The message; each line of it gets the prefix.</param>
    void WriteErrorLine(string message);

    /// <summary>Appends raw output of the task. Ignored after the log is closed.</summary>
    /// <param name="data">The bytes, written as they are.</param>
    /// <param name="cancellationToken">Cancels waiting for the write.</param>
    /// <returns>When the bytes are in the log.</returns>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a reader at the beginning of the log. Reads return what has been written and then wait
    /// for more; they return 0 (end of stream) once the log is closed and fully read.
    /// </summary>
    /// <returns>A read-only stream; the caller disposes it.</returns>
    Stream OpenReader();

    /// <summary>
    /// Adds a filter that every later write passes through (task output and system lines alike),
    /// before the bytes reach the file, live readers and the uploaded log. Filters run in the order
    /// they were added, one write at a time; at close each is flushed in that order. Add them when
    /// the task plugin is created, so they see everything the task prints; writes made before are not
    /// filtered. Ignored after the log is closed. A filter that fails closes the log (see
    /// <see cref="ILogFilter"/>).
    /// </summary>
    /// <param name="filter">The filter; used for this log only, never disposed by the log.</param>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Its <see cref="ILogFilter.MaxHoldBack"/> is negative.</exception>
    void AddFilter(ILogFilter filter);

    /// <summary>The number of bytes written so far (after filters).</summary>
    long Length { get; }

    /// <summary>Whether the log has been closed; after that nothing more is appended.</summary>
    bool IsClosed { get; }
}
