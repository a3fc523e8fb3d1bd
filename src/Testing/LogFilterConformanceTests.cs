using System.Buffers;
using System.Text;
using TcWorker.Runtime.Tasks;
using TcWorker.Tasks;
using Xunit;

namespace TcWorker.Testing;

/// <summary>
/// The conformance kit for log filters that mask literal secrets (<see cref="ILogFilter"/>): subclass
/// it in an xunit test project and create your filter in <see cref="CreateFilter"/>. The cases feed
/// the filter directly, split at every position, and through the runtime's real task log with a live
/// reader; one pushes a 100 MiB line without a newline through the log and checks that the filter
/// holds back no more than it declares and that memory stays flat.
/// </summary>
/// <remarks>
/// The kit learns what the filter writes for a secret by filtering the secret alone, so any mask
/// (or none) is accepted, as long as it is the same wherever the secret appears and contains no
/// secret. The secrets are ASCII; the bytes around them include bytes that are never valid UTF-8.
/// </remarks>
public abstract class LogFilterConformanceTests : IDisposable
{
    /// <summary>The secret most cases mask.</summary>
    protected const string Secret = "s3cr3t-T0ken-4711";

    /// <summary>A secret with a newline in it.</summary>
    protected const string MultiLineSecret = "first-line\nsecond-line";

    private const int LongLineChunk = 64 * 1024;
    private const long LongLineBytes = 100L * 1024 * 1024;

    /// <summary>Bytes no UTF-8 text ever contains, then a character cut short.</summary>
    private static readonly byte[] InvalidUtf8 = [0xFF, 0xC0, 0xFE, 0xF5, 0xE2, 0x82];

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("tcw-logfilter-");

    /// <summary>Deletes the case's temporary folder.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A secret in one piece is masked; the text around it is kept as it was.</summary>
    [Fact]
    public void MasksASecretAndKeepsTheTextAroundIt()
    {
        var mask = MaskOf(Secret);
        var output = Run(CreateFilter([Secret]), Bytes($"the token is {Secret}, keep it\n"));

        AssertNoSecret(output, Secret);
        Assert.Equal(Concat(Bytes("the token is "), mask, Bytes(", keep it\n")), output);
    }

    /// <summary>Text without secrets, binary bytes included, passes through unchanged however it is split.</summary>
    [Fact]
    public void PassesOutputWithoutSecretsThroughUnchanged()
    {
        var random = new Random(4711);
        var input = new byte[256 * 1024];
        random.NextBytes(input);
        var filter = CreateFilter([Secret]);

        Assert.Equal(input, Run(filter, Split(input, random)));
    }

    /// <summary>Two secrets split into three chunks at every pair of positions come out as when written in one piece.</summary>
    [Fact]
    public void MasksASecretSplitAtEveryPositionAsInOnePiece()
    {
        var input = Bytes($"a {Secret} b {Secret}{Secret}\nc");
        var whole = Run(CreateFilter([Secret]), input);
        AssertNoSecret(whole, Secret);
        Assert.Equal(Concat(Bytes("a "), MaskOf(Secret), Bytes(" b ")), whole.AsSpan(0, 2 + MaskOf(Secret).Length + 3).ToArray());

        for (var first = 0; first <= input.Length; first++)
        {
            for (var second = first; second <= input.Length; second++)
            {
                var chunks = new[] { input[..first], input[first..second], input[second..] };
                var output = Run(CreateFilter([Secret]), chunks);
                Assert.True(whole.AsSpan().SequenceEqual(output), $"Split at {first} and {second}: got '{Text(output)}', in one piece '{Text(whole)}'.");
            }
        }

        Assert.Equal(whole, Run(CreateFilter([Secret]), input.Select(b => new[] { b }).ToArray()));
    }

    /// <summary>A secret with a newline in it is masked whole, wherever the chunks end.</summary>
    [Fact]
    public void MasksASecretSpanningLines()
    {
        var input = Bytes($"before\n{MultiLineSecret}\nafter\n");
        var expected = Concat(Bytes("before\n"), MaskOf(MultiLineSecret), Bytes("\nafter\n"));

        Assert.Equal(expected, Run(CreateFilter([MultiLineSecret]), input));
        for (var at = 0; at <= input.Length; at++)
        {
            var output = Run(CreateFilter([MultiLineSecret]), [input[..at], input[at..]]);
            Assert.True(expected.AsSpan().SequenceEqual(output), $"Split at {at}: got '{Text(output)}'.");
        }
    }

    /// <summary>Bytes that are not UTF-8 pass through unchanged right next to a masked secret.</summary>
    [Fact]
    public void PassesInvalidUtf8AroundASecretThroughUnchanged()
    {
        byte[] lone = [0x80, 0xC3];
        var input = Concat(InvalidUtf8, Bytes(Secret), InvalidUtf8, lone, Bytes(Secret), lone);
        var mask = MaskOf(Secret);
        var expected = Concat(InvalidUtf8, mask, InvalidUtf8, lone, mask, lone);

        Assert.Equal(expected, Run(CreateFilter([Secret]), input));
        for (var at = 0; at <= input.Length; at++)
        {
            Assert.Equal(expected, Run(CreateFilter([Secret]), [input[..at], input[at..]]));
        }
    }

    /// <summary>The start of a secret at the very end is released unchanged when the log closes.</summary>
    [Fact]
    public void ReleasesAPartialSecretAtTheEndUnchangedOnFlush()
    {
        var input = Bytes($"tail {Secret[..^1]}");
        var filter = CreateFilter([Secret]);

        Assert.Equal(input, Run(filter, input));
        Assert.Equal(0, filter.HeldBack);
    }

    /// <summary>Repeated, adjacent and overlapping secrets leave no secret behind, and the text around them is kept.</summary>
    [Fact]
    public void LeavesNoSecretOfAdjacentAndOverlappingSecrets()
    {
        const string Other = "T0ken-4711-and-more";
        var output = Run(CreateFilter([Secret, Other]), Bytes($"<{Secret}{Secret} s3cr3t-{Other}>"));

        AssertNoSecret(output, Secret);
        AssertNoSecret(output, Other);
        Assert.Equal((byte)'<', output[0]);
        Assert.Equal((byte)'>', output[^1]);
    }

    /// <summary>
    /// Fed the start of a secret over and over, in chunks of every size, the filter reports and really
    /// holds back no more than <see cref="ILogFilter.MaxHoldBack"/> after each call.
    /// </summary>
    [Fact]
    public void HoldsBackNoMoreThanItDeclares()
    {
        var random = new Random(17);
        var input = Bytes(string.Concat(Enumerable.Repeat(Secret[..^1] + "s3c", 200)));
        var filter = CreateFilter([Secret]);
        var output = new ArrayBufferWriter<byte>();
        long taken = 0;
        foreach (var chunk in Split(input, random))
        {
            filter.Transform(chunk, output);
            taken += chunk.Length;
            Assert.InRange(filter.HeldBack, 0, filter.MaxHoldBack);
            Assert.InRange(taken - output.WrittenCount, 0, filter.MaxHoldBack);
        }

        filter.Flush(output);
        Assert.Equal(input, output.WrittenSpan.ToArray());
    }

    /// <summary>
    /// Through the runtime's task log: system lines and task output alike are masked in the file and for a
    /// live reader, including a secret split across two writes and one still held when the log closes.
    /// </summary>
    /// <returns>The case.</returns>
    [Fact]
    public async Task MasksThroughTheTaskLogForReadersAndInTheFile()
    {
        var mask = MaskOf(Secret);
        using var log = new TaskLog(Path.Combine(folder.FullName, "task.log"));
        log.AddFilter(CreateFilter([Secret]));
        var reading = ReadAllAsync(log);

        log.WriteLine($"system line with {Secret}");
        await log.WriteAsync(Bytes($"output {Secret[..5]}")).ConfigureAwait(false);
        await log.WriteAsync(Bytes($"{Secret[5..]} done\n")).ConfigureAwait(false);
        log.WriteErrorLine($"error line with {Secret}");
        await log.WriteAsync(Bytes($"last {Secret}")).ConfigureAwait(false);
        await log.CloseAsync().ConfigureAwait(false);

        var expected = Concat(
            Bytes($"{ITaskLog.SystemPrefix}system line with "), mask, Bytes("\noutput "), mask, Bytes($" done\n{ITaskLog.ErrorPrefix}error line with "), mask, Bytes("\nlast "), mask);
        Assert.Null(log.WriteError);
        Assert.Equal(expected, await File.ReadAllBytesAsync(log.Path).ConfigureAwait(false));
        Assert.Equal(expected, await reading.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false));
        Assert.Equal(expected.Length, log.Length);
    }

    /// <summary>
    /// A 100 MiB line without a newline goes through the task log with a live reader. The filter never
    /// holds back more than it declares (measured, not only reported), nor more than 1 MiB; what the
    /// write loop allocates, the filter's work included, stays far below the line's size.
    /// </summary>
    /// <returns>The case.</returns>
    [Fact]
    public async Task PassesA100MiBLineThroughTheTaskLogInFlatMemory()
    {
        var probe = new HoldBackProbe(CreateFilter([Secret]));
        using var log = new TaskLog(Path.Combine(folder.FullName, "long.log"));
        log.AddFilter(probe);
        var reading = Task.Run(() => CountAsync(log));

        // Each chunk ends with all but the last byte of the secret, so a filter must hold back across every write.
        var chunk = new byte[LongLineChunk];
        Array.Fill(chunk, (byte)'x');
        Bytes(Secret[..^1]).CopyTo(chunk, chunk.Length - (Secret.Length - 1));
        var allocated = await Task.Factory.StartNew(
            () =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (long written = 0; written < LongLineBytes; written += chunk.Length)
                {
                    // The lock is free, so the write and every filter call happen here, on this thread.
                    var write = log.WriteAsync(chunk);
                    if (!write.IsCompletedSuccessfully)
                    {
                        write.AsTask().GetAwaiter().GetResult();
                    }
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);
        await log.CloseAsync().ConfigureAwait(false);

        Assert.Null(log.WriteError);
        Assert.True(probe.MostHeld <= probe.MaxHoldBack, $"The filter held back {probe.MostHeld} bytes, more than its MaxHoldBack of {probe.MaxHoldBack}.");
        Assert.True(probe.MostHeld <= 1024 * 1024, $"The filter held back {probe.MostHeld} bytes of one line: a filter must not buffer lines.");
        Assert.True(probe.MostReported <= probe.MaxHoldBack, $"The filter reported HeldBack {probe.MostReported}, more than its MaxHoldBack of {probe.MaxHoldBack}.");
        Assert.True(allocated < 16 * 1024 * 1024, $"Writing a {LongLineBytes >> 20} MiB line allocated {allocated >> 20} MiB: memory must not grow with the line.");
        Assert.Equal(LongLineBytes, await reading.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false));
        Assert.Equal(LongLineBytes, new FileInfo(log.Path).Length);
    }

    /// <summary>Creates a filter that masks every occurrence of each of <paramref name="secrets"/>.</summary>
    /// <param name="secrets">The secrets, as text (their UTF-8 bytes are what the log carries).</param>
    /// <returns>A new filter, for one log.</returns>
    protected abstract ILogFilter CreateFilter(IReadOnlyList<string> secrets);

    /// <summary>Deletes the case's temporary folder.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A reader still open on some platform; the folder is under the temporary path.
            }
        }
    }

    /// <summary>What the filter writes for <paramref name="secret"/> alone.</summary>
    private byte[] MaskOf(string secret)
    {
        var mask = Run(CreateFilter([secret]), Bytes(secret));
        AssertNoSecret(mask, secret);
        return mask;
    }

    private static byte[] Run(ILogFilter filter, params byte[][] chunks)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            filter.Transform(chunk, output);
            Assert.InRange(filter.HeldBack, 0, filter.MaxHoldBack);
        }

        filter.Flush(output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[][] Split(byte[] input, Random random)
    {
        var chunks = new List<byte[]>();
        for (var at = 0; at < input.Length;)
        {
            var size = Math.Min(input.Length - at, random.Next(0, 40) switch { 0 => 0, < 20 => random.Next(1, 8), < 35 => random.Next(8, 200), _ => random.Next(200, 70_000) });
            chunks.Add(input[at..(at + size)]);
            at += size;
        }

        return [.. chunks];
    }

    private static void AssertNoSecret(byte[] output, string secret) =>
        Assert.True(output.AsSpan().IndexOf(Bytes(secret)) < 0, $"The secret '{secret.ReplaceLineEndings("\\n")}' is still in the output: '{Text(output)}'.");

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes).ReplaceLineEndings("\\n");

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static async Task<byte[]> ReadAllAsync(TaskLog log)
    {
        var reader = log.OpenReader();
        await using (reader.ConfigureAwait(false))
        {
            using var copy = new MemoryStream();
            await reader.CopyToAsync(copy).ConfigureAwait(false);
            return copy.ToArray();
        }
    }

    private static async Task<long> CountAsync(TaskLog log)
    {
        var reader = log.OpenReader();
        await using (reader.ConfigureAwait(false))
        {
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return total;
        }
    }

    /// <summary>
    /// Wraps the filter under test and measures what it holds back: input taken minus output written,
    /// exact for input without a whole secret, as in the long-line case.
    /// </summary>
    private sealed class HoldBackProbe(ILogFilter inner) : ILogFilter
    {
        private readonly CountingWriter counter = new();
        private long taken;

        public long MostHeld { get; private set; }

        public int MostReported { get; private set; }

        public int MaxHoldBack { get; } = inner.MaxHoldBack;

        public int HeldBack => inner.HeldBack;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            counter.Inner = output;
            inner.Transform(input, counter);
            taken += input.Length;
            MostHeld = Math.Max(MostHeld, taken - counter.Written);
            MostReported = Math.Max(MostReported, inner.HeldBack);
        }

        public void Flush(IBufferWriter<byte> output)
        {
            counter.Inner = output;
            inner.Flush(counter);
        }
    }

    private sealed class CountingWriter : IBufferWriter<byte>
    {
        public IBufferWriter<byte> Inner { get; set; } = null!;

        public long Written { get; private set; }

        public void Advance(int count)
        {
            Inner.Advance(count);
            Written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Inner.GetSpan(sizeHint);
    }
}
