using System.Buffers;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The filters of one task log, run in the order they were added. Each stage writes into one of two
/// reused buffers, so a write costs no allocation once the buffers have grown to the size of a slice.
/// Not thread-safe: the log calls it under its write lock.
/// </summary>
internal sealed class LogFilterChain
{
    private readonly List<(ILogFilter Filter, int MaxHoldBack)> filters = [];
    private readonly ArrayBufferWriter<byte>[] buffers = [new(), new()];

    /// <summary>The number of filters.</summary>
    public int Count => filters.Count;

    /// <summary>Adds a filter at the end; reads its <see cref="ILogFilter.MaxHoldBack"/> once.</summary>
    public void Add(ILogFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var maxHoldBack = filter.MaxHoldBack;
        ArgumentOutOfRangeException.ThrowIfNegative(maxHoldBack, $"{nameof(filter)}.{nameof(ILogFilter.MaxHoldBack)}");
        filters.Add((filter, maxHoldBack));
    }

    /// <summary>Passes bytes through every filter.</summary>
    /// <returns>What comes out of the last filter; valid until the next call.</returns>
    /// <exception cref="LogFilterException">A filter threw or held back more than it declared.</exception>
    public ReadOnlySpan<byte> Transform(ReadOnlySpan<byte> input) => Pass(0, input, inputBuffer: -1);

    /// <summary>Flushes the filter at <paramref name="index"/> and passes what it releases through the filters after it.</summary>
    /// <returns>What comes out of the last filter; valid until the next call.</returns>
    /// <exception cref="LogFilterException">A filter threw or held back more than it declared.</exception>
    public ReadOnlySpan<byte> Flush(int index)
    {
        var output = buffers[0];
        output.ResetWrittenCount();
        try
        {
            filters[index].Filter.Flush(output);
        }
        catch (Exception e)
        {
            throw Threw(index, e);
        }

        return Pass(index + 1, output.WrittenSpan, inputBuffer: 0);
    }

    private ReadOnlySpan<byte> Pass(int from, ReadOnlySpan<byte> input, int inputBuffer)
    {
        for (var i = from; i < filters.Count; i++)
        {
            var target = inputBuffer == 0 ? 1 : 0;
            var output = buffers[target];
            output.ResetWrittenCount();
            var (filter, maxHoldBack) = filters[i];
            int heldBack;
            try
            {
                filter.Transform(input, output);
                heldBack = filter.HeldBack;
            }
            catch (Exception e)
            {
                throw Threw(i, e);
            }

            if (heldBack > maxHoldBack)
            {
                throw new LogFilterException($"{Name(i)} holds back {heldBack} bytes, more than its MaxHoldBack of {maxHoldBack} (a bug in the filter)");
            }

            input = output.WrittenSpan;
            inputBuffer = target;
        }

        return input;
    }

    private LogFilterException Threw(int index, Exception error) => new($"{Name(index)} failed with {error.GetType().Name}", error);

    private string Name(int index) => $"Log filter {index + 1} of {filters.Count} ({filters[index].Filter.GetType().FullName})";
}

/// <summary>
/// A log filter threw or broke its hold-back promise. The message names the filter and the type of
/// its error but not the error's message, which a masking filter might have filled with what it was
/// masking: the message goes into the task log, the inner exception only into the worker's log.
/// </summary>
internal sealed class LogFilterException(string message, Exception? innerException = null) : Exception(message, innerException);
