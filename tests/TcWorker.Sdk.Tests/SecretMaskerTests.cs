using System.Buffers;
using System.Text;
using TcWorker.Tasks;

namespace TcWorker.Sdk.Tests;

public sealed class SecretMaskerTests
{
    [Theory]
    [InlineData("abcd", new[] { "abc", "bcd" }, "***")]
    [InlineData("xabcdex", new[] { "ab", "d", "bcde" }, "x***x")]
    [InlineData("ab-cd", new[] { "ab", "cd" }, "***-***")]
    [InlineData("abab", new[] { "ab" }, "***")]
    [InlineData("aaaaaaa", new[] { "aaa" }, "***")]
    [InlineData("a b", new[] { "a", "b" }, "*** ***")]
    [InlineData("aab", new[] { "aab", "a" }, "***")]
    [InlineData("no secret here", new[] { "absent" }, "no secret here")]
    public void Every_byte_inside_an_occurrence_is_masked_and_touching_runs_become_one_mask(string input, string[] secrets, string expected) =>
        Assert.Equal(expected, new SecretMasker(secrets).Mask(input));

    [Fact]
    public void The_mask_can_be_chosen_or_empty()
    {
        Assert.Equal("key=[secret];", new SecretMasker(["hunter2"], "[secret]").Mask("key=hunter2;"));
        Assert.Equal("key=;", new SecretMasker(["hunter2"], string.Empty).Mask("key=hunter2;"));
        Assert.Equal("k=##", Encoding.UTF8.GetString(Run(new SecretMasker([[0xFF, 0x00]], "##"u8.ToArray()).CreateFilter(), [[(byte)'k', (byte)'=', 0xFF], [0x00]])));
    }

    [Fact]
    public void Empty_secrets_are_ignored_and_no_secrets_pass_everything_through()
    {
        var masker = new SecretMasker([string.Empty]);
        var filter = masker.CreateFilter();

        Assert.Equal(0, masker.LongestSecret);
        Assert.Equal(0, filter.MaxHoldBack);
        Assert.Equal("anything", masker.Mask("anything"));
    }

    [Fact]
    public void A_null_secret_is_named_by_its_index()
    {
        var e = Assert.Throws<ArgumentException>(() => new SecretMasker(["fine", null!]));
        Assert.Contains("Secret 1 is null", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new SecretMasker((IEnumerable<string>)null!));
    }

    [Fact]
    public void The_filter_holds_back_at_most_the_longest_secret_less_one_byte()
    {
        var masker = new SecretMasker(["short", "a-much-longer-secret"]);
        var filter = masker.CreateFilter();
        var output = new ArrayBufferWriter<byte>();

        filter.Transform("xx a-much-longer-secre"u8, output);

        Assert.Equal(19, filter.MaxHoldBack);
        Assert.Equal(19, filter.HeldBack);
        Assert.Equal("xx ", Encoding.UTF8.GetString(output.WrittenSpan));
        filter.Transform("t!"u8, output);
        Assert.Equal(0, filter.HeldBack);
        Assert.Equal("xx ***!", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Random_input_in_random_chunks_matches_a_brute_force_masking()
    {
        // A small alphabet makes partial, overlapping and adjacent matches common.
        var random = new Random(20261207);
        for (var round = 0; round < 300; round++)
        {
            var secrets = Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomBytes(random, random.Next(1, 7), "abc\n\xff")).ToList();
            var input = RandomBytes(random, random.Next(0, 400), "abcd\n\xff");
            var expected = BruteForce(input, secrets, "#"u8.ToArray());

            var chunks = new List<byte[]>();
            for (var at = 0; at < input.Length;)
            {
                var size = Math.Min(input.Length - at, random.Next(0, 12));
                chunks.Add(input[at..(at + size)]);
                at += size;
            }

            var actual = Run(new SecretMasker(secrets, "#"u8.ToArray()).CreateFilter(), [.. chunks]);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"Round {round}: secrets {string.Join(", ", secrets.Select(Convert.ToHexString))}, input {Convert.ToHexString(input)}: expected {Convert.ToHexString(expected)}, got {Convert.ToHexString(actual)}");
        }
    }

    private static byte[] Run(ILogFilter filter, byte[][] chunks)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            filter.Transform(chunk, output);
            Assert.InRange(filter.HeldBack, 0, filter.MaxHoldBack);
        }

        filter.Flush(output);
        Assert.Equal(0, filter.HeldBack);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] BruteForce(byte[] input, List<byte[]> secrets, byte[] mask)
    {
        var covered = new bool[input.Length];
        foreach (var secret in secrets)
        {
            for (var at = 0; at + secret.Length <= input.Length; at++)
            {
                if (input.AsSpan(at, secret.Length).SequenceEqual(secret))
                {
                    Array.Fill(covered, true, at, secret.Length);
                }
            }
        }

        var output = new List<byte>();
        for (var i = 0; i < input.Length; i++)
        {
            if (!covered[i])
            {
                output.Add(input[i]);
            }
            else if (i == 0 || !covered[i - 1])
            {
                output.AddRange(mask);
            }
        }

        return [.. output];
    }

    private static byte[] RandomBytes(Random random, int length, string alphabet) =>
        [.. Enumerable.Range(0, length).Select(_ => (byte)alphabet[random.Next(alphabet.Length)])];
}
