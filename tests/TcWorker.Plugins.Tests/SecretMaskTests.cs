using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TcWorker.Engines.Mock;
using TcWorker.Plugins.SecretMask;
using TcWorker.Tasks;
using TcWorker.Testing;

namespace TcWorker.Plugins.Tests;

/// <summary>The secretmask plugin's filter against the log filter kit.</summary>
public sealed class TaskSecretFilterConformanceTests : LogFilterConformanceTests
{
    protected override ILogFilter CreateFilter(IReadOnlyList<string> secrets) => new TaskSecretFilter(secrets, () => null);
}

public sealed class SecretMaskTests
{
    private const string Value = "v4lue-Registered-99";

    [Fact]
    public void An_add_mask_line_masks_its_value_from_then_on_and_never_shows_it_however_the_log_is_split()
    {
        var input = Bytes($"before {Value}\n::add-mask::{Value}\nafter {Value}\n:x {Value}\n");
        var expected = $"before {Value}\n::add-mask::***\nafter ***\n:x ***\n";
        for (var first = 0; first <= input.Length; first++)
        {
            for (var second = first; second <= input.Length; second++)
            {
                var output = Run(new TaskSecretFilter([], () => null), input[..first], input[first..second], input[second..]);
                Assert.True(expected == output, $"split at {first} and {second}: {output}");
            }
        }
    }

    [Fact]
    public void An_add_mask_line_cut_short_by_the_end_of_the_log_never_shows_its_value()
    {
        var output = Run(new TaskSecretFilter([], () => null), Bytes($"x\n::add-mask::{Value}"));

        Assert.Equal("x\n::add-mask::***\n", output);
    }

    [Fact]
    public void An_add_mask_line_too_long_to_register_is_dropped_with_an_error()
    {
        var value = new string('q', TaskSecretFilter.MaxCommandValueBytes + 10);
        var filter = new TaskSecretFilter([], () => null);
        var output = Run(filter, Bytes($"a\n::add-mask::{value}"), Bytes($"{value}\nb\n"));

        Assert.DoesNotContain("qqqq", output, StringComparison.Ordinal);
        Assert.StartsWith("a\n::add-mask:: refused: the value is longer than 65536 bytes", output, StringComparison.Ordinal);
        Assert.EndsWith("dropped\nb\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_multi_line_secret_is_masked_whole_and_line_by_line()
    {
        var secret = "first-secret-line\r\nsecond-secret-line\n\n";
        var output = Run(new TaskSecretFilter([secret], () => null), Bytes($"[{secret}] > first-secret-line < | second-secret-line\n"));

        Assert.Equal("[***] > *** < | ***\n", output);
    }

    [Fact]
    public void A_secret_longer_than_the_masker_takes_is_masked_in_pieces_within_the_hold_back()
    {
        var random = new Random(4711);
        var secret = string.Concat(Enumerable.Range(0, TaskSecretFilter.MaxCommandValueBytes + (TaskSecretFilter.MaxSecretBytes * 2) + 123).Select(_ => (char)random.Next('a', 'z' + 1)));
        var filter = new TaskSecretFilter([secret], () => null);
        var input = Bytes($"say {secret} twice {secret}\n");
        var output = new ArrayBufferWriter<byte>();
        for (var at = 0; at < input.Length; at += 1000)
        {
            filter.Transform(input.AsSpan(at, Math.Min(1000, input.Length - at)), output);
            Assert.InRange(filter.HeldBack, 0, filter.MaxHoldBack);
        }

        filter.Flush(output);
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal("say *** twice ***\n", text);
    }

    [Fact]
    public void The_credentials_of_every_claim_and_reclaim_are_masked()
    {
        var credentials = new TaskCredentials("task-client/1", "access-token-of-the-claim", "{\"cert\":\"claim\"}", null);
        var filter = new TaskSecretFilter([], () => credentials);
        var output = new ArrayBufferWriter<byte>();
        filter.Transform(Bytes("1 access-token-of-the-claim {\"cert\":\"claim\"}\n"), output);
        credentials = new TaskCredentials("task-client/1", "access-token-of-the-reclaim", null, null);
        filter.Transform(Bytes("2 access-token-of-the-reclaim access-token-of-the-claim\n"), output);
        filter.Flush(output);

        Assert.Equal("1 *** ***\n2 *** ***\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("github_token", true)]
    [InlineData("MY_PASSWORD_FILE", true)]
    [InlineData("AWS_SECRET", true)]
    [InlineData("SIGNING_KEY", true)]
    [InlineData("TOKEN_COUNT", false)]
    [InlineData("KEYBOARD", false)]
    [InlineData("PATH", false)]
    public void The_default_patterns_match_secret_looking_names(string name, bool matches) =>
        Assert.Equal(matches, SecretMaskPluginProvider.Glob(SecretMaskPluginProvider.DefaultEnvPatterns).IsMatch(name));

    [Fact]
    public async Task The_worker_masks_matching_env_values_in_the_uploaded_log_and_keeps_the_others()
    {
        var harness = new WorkerHarness(
            "engine: mock\nplugins: { env: {}, secretmask: { envPatterns: ['*_TOKEN', 'DEPLOY?KEY'] } }",
            b => b.AddEngine<MockEngineProvider>().AddEnvPlugin().AddSecretMaskPlugin());

        await harness.AssertPassesAsync(new WorkerCase
        {
            Name = "env",
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "prints-a-token",
                    Payload = "function: print-env\nargument: API_TOKEN\nenv: { API_TOKEN: 'tok-3141592653', PLAIN: 'not-a-secret-2718' }",
                    Expect = new TaskExpectation { Resolution = "completed", LogContains = ["***"], LogDoesNotContain = ["tok-3141592653"] },
                },
                new WorkerCaseTask
                {
                    Name = "prints-a-plain-value",
                    Payload = "function: print-env\nargument: PLAIN\nenv: { DEPLOY_KEY: 'k-1618033', PLAIN: 'not-a-secret-2718' }",
                    Expect = new TaskExpectation { Resolution = "completed", LogContains = ["not-a-secret-2718"] },
                },
            ],
        });
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Run(ILogFilter filter, params byte[][] chunks)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            filter.Transform(chunk, output);
            Assert.InRange(filter.HeldBack, 0, filter.MaxHoldBack);
        }

        filter.Flush(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
