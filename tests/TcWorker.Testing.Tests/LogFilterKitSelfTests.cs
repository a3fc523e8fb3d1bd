using System.Buffers;
using System.Text;
using TcWorker.Tasks;
using Xunit.Sdk;

namespace TcWorker.Testing.Tests;

/// <summary>The log filter kit fails filters that get it wrong, each in the case meant to catch it.</summary>
public sealed class LogFilterKitSelfTests
{
    [Fact]
    public async Task A_filter_that_buffers_whole_lines_fails_the_long_line_case_and_the_hold_back_case()
    {
        using var kit = new Kit(secrets => new LineBufferingMasker(secrets));

        var e = await Assert.ThrowsAnyAsync<XunitException>(kit.PassesA100MiBLineThroughTheTaskLogInFlatMemory);
        Assert.Contains("more than its MaxHoldBack", e.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<XunitException>(kit.HoldsBackNoMoreThanItDeclares);
        kit.MasksASecretSplitAtEveryPositionAsInOnePiece();
    }

    [Fact]
    public void A_filter_that_masks_each_chunk_on_its_own_fails_the_split_cases()
    {
        using var kit = new Kit(secrets => new ChunkMasker(secrets, decode: false));

        kit.MasksASecretAndKeepsTheTextAroundIt();
        var e = Assert.ThrowsAny<XunitException>(kit.MasksASecretSplitAtEveryPositionAsInOnePiece);
        Assert.Contains("Split at", e.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<XunitException>(kit.MasksASecretSpanningLines);
    }

    [Fact]
    public async Task A_filter_that_copies_every_write_fails_the_flat_memory_case()
    {
        using var kit = new Kit(secrets => new ChunkMasker(secrets, decode: false));

        var e = await Assert.ThrowsAnyAsync<XunitException>(kit.PassesA100MiBLineThroughTheTaskLogInFlatMemory);
        Assert.Contains("memory must not grow with the line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_that_decodes_text_fails_the_invalid_utf8_case()
    {
        using var kit = new Kit(secrets => new ChunkMasker(secrets, decode: true));

        kit.MasksASecretAndKeepsTheTextAroundIt();
        Assert.ThrowsAny<XunitException>(kit.PassesInvalidUtf8AroundASecretThroughUnchanged);
        Assert.ThrowsAny<XunitException>(kit.PassesOutputWithoutSecretsThroughUnchanged);
    }

    private sealed class Kit(Func<IReadOnlyList<string>, ILogFilter> create) : LogFilterConformanceTests
    {
        protected override ILogFilter CreateFilter(IReadOnlyList<string> secrets) => create(secrets);
    }

    /// <summary>Masks correctly, but keeps every line until its newline, and claims to hold little.</summary>
    private sealed class LineBufferingMasker(IReadOnlyList<string> secrets) : ILogFilter
    {
        private readonly MemoryStream line = new();

        public int MaxHoldBack => 64;

        public int HeldBack => 0;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            var end = input.LastIndexOf((byte)'\n');
            if (end < 0)
            {
                line.Write(input);
                return;
            }

            line.Write(input[..(end + 1)]);
            Flush(output);
            line.Write(input[(end + 1)..]);
        }

        public void Flush(IBufferWriter<byte> output)
        {
            output.Write(Mask(line.ToArray(), secrets));
            line.SetLength(0);
        }
    }

    /// <summary>Masks what each call brings, holding nothing back; optionally as decoded text.</summary>
    private sealed class ChunkMasker(IReadOnlyList<string> secrets, bool decode) : ILogFilter
    {
        public int MaxHoldBack => 0;

        public int HeldBack => 0;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            if (decode)
            {
                var text = Encoding.UTF8.GetString(input);
                output.Write(Encoding.UTF8.GetBytes(secrets.Aggregate(text, (t, s) => t.Replace(s, "***", StringComparison.Ordinal))));
            }
            else
            {
                output.Write(Mask(input.ToArray(), secrets));
            }
        }

        public void Flush(IBufferWriter<byte> output)
        {
        }
    }

    private static byte[] Mask(byte[] data, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets.Select(Encoding.UTF8.GetBytes))
        {
            int at;
            while ((at = data.AsSpan().IndexOf(secret)) >= 0)
            {
                data = [.. data[..at], .. "***"u8, .. data[(at + secret.Length)..]];
            }
        }

        return data;
    }
}
