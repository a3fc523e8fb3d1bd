using System.Buffers;

namespace TcWorker.Tasks;

/// <summary>
/// Transforms the bytes of one task log before they are stored, served to live readers and
/// uploaded: masking secrets, say. It is a stream transform, not a per-line callback: a chunk may
/// end anywhere (inside a line, inside a UTF-8 character, inside a secret), and a line may be a
/// gigabyte long, so a filter holds back only the few bytes that might still start a match, never
/// a whole line. Bytes that are not valid UTF-8 pass through as they are unless the filter means to
/// change them. The log calls one filter from one thread at a time, in the order of the writes; a
/// filter serves one task log and is dropped when the log is closed.
/// </summary>
/// <remarks>
/// A filter that throws, or holds back more than <see cref="MaxHoldBack"/>, fails closed: the log
/// writes one error line naming it, stores nothing more (not even what earlier filters still hold),
/// and the task run resolves <c>exception/internal-error</c>. Unfiltered bytes never reach the log.
/// </remarks>
public interface ILogFilter
{
    /// <summary>
    /// The most bytes the filter ever holds back between calls; read once, when the filter is added.
    /// A filter whose <see cref="HeldBack"/> exceeds it has a bug, and the log fails closed.
    /// </summary>
    int MaxHoldBack { get; }

    /// <summary>
    /// The bytes of input taken by <see cref="Transform"/> and not yet released (written to the
    /// output, transformed or dropped); at most <see cref="MaxHoldBack"/>. The log reads it after each
    /// call to check that the filter keeps its promise.
    /// </summary>
    int HeldBack { get; }

    /// <summary>
    /// Takes the next bytes of the log and writes what can be released to <paramref name="output"/>,
    /// transformed. Bytes that may still be part of a match are kept (at most <see cref="MaxHoldBack"/>)
    /// and released by a later call or by <see cref="Flush"/>. An exception fails the log closed.
    /// </summary>
    /// <param name="input">The next bytes, in order; valid only during the call.</param>
    /// <param name="output">Where the transformed bytes go; valid only during the call.</param>
    void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>The log is closing: writes every byte still held back, transformed. Called once, after the last <see cref="Transform"/>.</summary>
    /// <param name="output">Where the transformed bytes go; valid only during the call.</param>
    void Flush(IBufferWriter<byte> output);
}
