using System.Buffers;

namespace TcWorker.Tasks;

/// <summary>
/// The masking state of one log. Positions count bytes from the start of the log. Everything before
/// <c>emitted</c> is decided: written, waiting in one contiguous plain run from <c>pendingFrom</c>, or
/// part of the open mask. Bytes from <c>emitted</c> to <c>position</c> may still turn out to be
/// secret; they are the hold-back, kept in <c>held</c> between calls. Occurrences found are kept as
/// merged intervals until the bytes they cover are decided.
/// </summary>
/// <remarks>
/// Plain bytes are never copied one by one: a run of them is written as one slice of the input when
/// a mask interrupts it or the call ends, and bytes that cannot start a secret are skipped with a
/// vectorised search.
/// </remarks>
internal sealed class SecretMaskFilter : ILogFilter
{
    private readonly byte[] mask;
    private readonly SearchValues<byte> starts;
    private readonly int classes;
    private readonly int[] classOf;
    private readonly int[] next;
    private readonly int[] depth;
    private readonly int[] matchLength;
    private byte[] held;
    private byte[] spare;
    private readonly List<(long Start, long End)> covered = [];
    private int heldCount;
    private long position;
    private long emitted;
    private long pendingFrom;
    private int state;
    private bool maskOpen;

    public SecretMaskFilter(SecretMasker masker)
    {
        mask = masker.MaskBytes;
        starts = masker.Starts;
        classes = masker.Classes;
        classOf = masker.ClassOf;
        next = masker.Next;
        depth = masker.Depth;
        matchLength = masker.MatchLength;
        MaxHoldBack = Math.Max(0, masker.LongestSecret - 1);
        held = new byte[MaxHoldBack];
        spare = new byte[MaxHoldBack];
    }

    public int MaxHoldBack { get; }

    public int HeldBack => (int)(position - emitted);

    public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var chunk = new Chunk(held, heldCount, input, position);
        var table = next;
        var current = state;
        var i = 0;
        while (i < input.Length)
        {
            if (current == 0)
            {
                // Nothing undecided: every byte up to the next one that may start a secret is plain.
                var found = input[i..].IndexOfAny(starts);
                i = found < 0 ? input.Length : i + found;
                position = emitted = chunk.Start + i;
                if (found < 0)
                {
                    break;
                }
            }

            current = table[(current * classes) + classOf[input[i++]]];
            var length = matchLength[current];
            var reach = depth[current];
            if (length == 0 && covered.Count == 0 && !maskOpen)
            {
                // The common case: no occurrence pending, and the bytes out of reach are plain.
                emitted = Math.Max(emitted, chunk.Start + i - reach);
                continue;
            }

            position = chunk.Start + i;
            if (length > 0)
            {
                Cover(position - length, position);
            }

            Release(position - reach, chunk, output);
        }

        state = current;
        position = chunk.Start + input.Length;
        WritePlain(chunk, output);
        Keep(chunk);
    }

    public void Flush(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var chunk = new Chunk(held, heldCount, [], position);
        Release(position, chunk, output);
        WritePlain(chunk, output);
        if (maskOpen)
        {
            output.Write(mask);
            maskOpen = false;
        }

        heldCount = 0;
        state = 0;
    }

    /// <summary>Records an occurrence, merged with the ones it overlaps or touches.</summary>
    private void Cover(long start, long end)
    {
        // Bytes before emitted are decided; an occurrence reaching back into them continues the open mask.
        start = Math.Max(start, emitted);
        while (covered.Count > 0 && covered[^1].End >= start)
        {
            start = Math.Min(start, covered[^1].Start);
            covered.RemoveAt(covered.Count - 1);
        }

        covered.Add((start, end));
    }

    /// <summary>Decides every byte before <paramref name="frontier"/>, and any covered bytes right after.</summary>
    private void Release(long frontier, Chunk chunk, IBufferWriter<byte> output)
    {
        while (true)
        {
            if (covered.Count > 0 && covered[0].Start <= emitted)
            {
                // Covered bytes are decided at once: they are part of the mask, however it ends.
                if (!maskOpen)
                {
                    WritePlain(chunk, output);
                    maskOpen = true;
                }

                emitted = Math.Max(emitted, covered[0].End);
                pendingFrom = emitted;
                covered.RemoveAt(0);
                continue;
            }

            if (emitted >= frontier)
            {
                return;
            }

            // A plain byte is decided: the mask before it, if any, ends.
            if (maskOpen)
            {
                output.Write(mask);
                maskOpen = false;
            }

            emitted = covered.Count > 0 ? Math.Min(covered[0].Start, frontier) : frontier;
        }
    }

    /// <summary>Writes the plain run waiting since <see cref="pendingFrom"/>.</summary>
    private void WritePlain(Chunk chunk, IBufferWriter<byte> output)
    {
        chunk.Write(pendingFrom, emitted, output);
        pendingFrom = emitted;
    }

    /// <summary>Keeps the undecided bytes for the next call: they are in the old hold-back or this input.</summary>
    private void Keep(Chunk chunk)
    {
        heldCount = (int)(position - emitted);
        chunk.Copy(emitted, position, spare);
        (held, spare) = (spare, held);
    }

    /// <summary>The bytes one call can reach: the hold-back of the last call, then the new input.</summary>
    private readonly ref struct Chunk(byte[] held, int heldCount, ReadOnlySpan<byte> input, long heldEnd)
    {
        private readonly ReadOnlySpan<byte> input = input;

        /// <summary>The position of the first byte of the input.</summary>
        public long Start { get; } = heldEnd;

        public void Write(long from, long to, IBufferWriter<byte> output)
        {
            if (from < Start)
            {
                var end = Math.Min(to, Start);
                output.Write(held.AsSpan(heldCount - (int)(Start - from), (int)(end - from)));
                from = end;
            }

            if (from < to)
            {
                output.Write(input[(int)(from - Start)..(int)(to - Start)]);
            }
        }

        public void Copy(long from, long to, Span<byte> destination)
        {
            var at = 0;
            if (from < Start)
            {
                var end = Math.Min(to, Start);
                held.AsSpan(heldCount - (int)(Start - from), (int)(end - from)).CopyTo(destination);
                at = (int)(end - from);
                from = end;
            }

            if (from < to)
            {
                input[(int)(from - Start)..(int)(to - Start)].CopyTo(destination[at..]);
            }
        }
    }
}
