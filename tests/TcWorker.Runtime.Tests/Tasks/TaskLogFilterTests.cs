using System.Buffers;
using System.Text;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tests.Tasks;

public sealed class TaskLogFilterTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly List<Exception> failures = [];

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Filters_see_later_writes_of_task_output_and_system_lines_alike_in_the_order_they_were_added()
    {
        using var log = NewLog();
        await log.WriteAsync("a before\n"u8.ToArray());
        log.AddFilter(new ReplaceFilter((byte)'a', (byte)'b'));
        log.AddFilter(new ReplaceFilter((byte)'b', (byte)'c'));
        await log.WriteAsync("a after\n"u8.ToArray());
        log.WriteLine("ab");
        log.WriteErrorLine("ba");
        await log.CloseAsync();

        Assert.Equal("a before\nc cfter\n[tc-worker] cc\n[tc-worker:error] cc\n", await File.ReadAllTextAsync(log.Path));
        Assert.Equal(new FileInfo(log.Path).Length, log.Length);
    }

    [Fact]
    public async Task At_close_each_filter_releases_what_it_holds_in_order_through_the_filters_after_it()
    {
        using var log = NewLog();
        await using var reader = log.OpenReader();
        var reading = ReadAllAsync(reader);
        var holding = new HoldLastByteFilter();
        log.AddFilter(holding);
        log.AddFilter(new HoldLastByteFilter());
        log.AddFilter(new ReplaceFilter((byte)'z', (byte)'Z'));

        await log.WriteAsync("xyz"u8.ToArray());
        Assert.Equal(1, log.Length);
        await log.CloseAsync();

        Assert.Equal("xyZ", Encoding.UTF8.GetString(await reading.WaitAsync(TimeSpan.FromSeconds(10))));
        Assert.Equal("xyZ", await File.ReadAllTextAsync(log.Path));
        Assert.Equal(1, holding.Flushes);
        Assert.Null(log.WriteError);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_huge_write_reaches_the_filters_in_bounded_slices_and_is_published_whole()
    {
        using var log = NewLog();
        var counting = new ReplaceFilter(0, 0);
        log.AddFilter(counting);
        var data = new byte[8 * 1024 * 1024];
        new Random(3).NextBytes(data);

        await log.WriteAsync(data);
        await log.CloseAsync();

        Assert.InRange(counting.LargestInput, 1, 64 * 1024);
        Assert.Equal(data.Length, log.Length);
        Assert.Equal(data, await File.ReadAllBytesAsync(log.Path));
    }

    [Fact]
    public async Task A_throwing_filter_fails_closed_with_a_line_that_names_it_but_not_its_message()
    {
        using var log = NewLog();
        var held = new HoldLastByteFilter();
        log.AddFilter(held);
        log.AddFilter(new ThrowOnFilter("boom"u8.ToArray()));
        await log.WriteAsync("fine\n"u8.ToArray());

        await log.WriteAsync("boom secret-value\n"u8.ToArray());
        await log.WriteAsync("after\n"u8.ToArray());
        log.WriteLine("later");
        await log.CloseAsync();

        var text = await File.ReadAllTextAsync(log.Path);
        Assert.Equal(
            "fine[tc-worker:error] Log filter 2 of 2 (TcWorker.Runtime.Tests.Tasks.TaskLogFilterTests+ThrowOnFilter) failed with InvalidOperationException. " +
            "The log ends here, so that no unfiltered output gets into it; the run resolves as exception/internal-error.\n",
            text);
        Assert.True(log.IsClosed);
        Assert.Equal(0, held.Flushes);
        var error = Assert.IsType<LogFilterException>(log.WriteError);
        Assert.Contains("secret-value", error.InnerException!.Message, StringComparison.Ordinal);
        Assert.Same(error, Assert.Single(failures));
    }

    [Fact]
    public async Task A_filter_holding_back_more_than_it_declares_fails_closed()
    {
        using var log = NewLog();
        log.AddFilter(new HoldLastByteFilter { Declared = 0 });

        await log.WriteAsync("ab"u8.ToArray());

        Assert.True(log.IsClosed);
        Assert.Contains("Log filter 1 of 1 (TcWorker.Runtime.Tests.Tasks.TaskLogFilterTests+HoldLastByteFilter) holds back 1 bytes, more than its MaxHoldBack of 0 (a bug in the filter)", await File.ReadAllTextAsync(log.Path), StringComparison.Ordinal);
        Assert.IsType<LogFilterException>(Assert.Single(failures));
    }

    [Fact]
    public async Task A_filter_failing_in_flush_fails_the_close()
    {
        using var log = NewLog();
        log.AddFilter(new ThrowOnFilter([]) { ThrowOnFlush = true });
        await log.WriteAsync("kept\n"u8.ToArray());

        await log.CloseAsync();

        Assert.StartsWith("kept\n[tc-worker:error] Log filter 1 of 1 ", await File.ReadAllTextAsync(log.Path), StringComparison.Ordinal);
        Assert.IsType<LogFilterException>(log.WriteError);
        Assert.Single(failures);
    }

    [Fact]
    public async Task Adding_a_filter_checks_it_and_is_ignored_once_the_log_is_closed()
    {
        using var log = NewLog();
        Assert.Throws<ArgumentNullException>(() => log.AddFilter(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.AddFilter(new HoldLastByteFilter { Declared = -1 }));
        await log.WriteAsync("a"u8.ToArray());
        await log.CloseAsync();

        log.AddFilter(new ReplaceFilter((byte)'a', (byte)'b'));

        Assert.Equal("a", await File.ReadAllTextAsync(log.Path));
        Assert.Null(log.WriteError);
    }

    [Fact]
    public async Task A_failing_filter_ends_a_running_task_at_once_as_an_internal_error()
    {
        using var harness = new RunHarness();
        var plugin = new ScriptedPlugin("masker", harness.Events);
        plugin.Hooks["create"] = _ =>
        {
            plugin.Context!.Log.AddFilter(new ThrowOnFilter("boom"u8.ToArray()));
            return Task.CompletedTask;
        };
        harness.Plugins.Add(new NamedPlugin("masker", plugin));

        // Written while the task runs (the runtime waits for its result), so that the failure meets a running sandbox.
        harness.Engine.OnWait = async _ =>
        {
            try
            {
                await plugin.Context!.Log.WriteAsync("boom secret-value\n"u8.ToArray());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The writer may hear of the failure too; the run is what is checked.
            }
        };
        var payload = TaskRunTests.Payload(exitCode: 0);
        payload["hang"] = true;

        var outcome = await harness.RunAsync(payload);

        Assert.Equal(TaskRunState.Exception, outcome.State);
        Assert.Equal(ExceptionReason.InternalError, outcome.Reason);
        Assert.IsType<LogFilterException>(outcome.Error);
        Assert.True(harness.Events.Contains("sandbox:abort"));
        Assert.Equal(ExceptionReason.InternalError, plugin.ExceptionReason);
        Assert.DoesNotContain("secret-value", harness.LogText, StringComparison.Ordinal);
        Assert.EndsWith("failed with InvalidOperationException. The log ends here, so that no unfiltered output gets into it; the run resolves as exception/internal-error.\n", harness.LogText, StringComparison.Ordinal);
    }

    private TaskLog NewLog() => new(folder.NewFile(), e =>
    {
        lock (failures)
        {
            failures.Add(e);
        }
    });

    private static async Task<byte[]> ReadAllAsync(Stream reader)
    {
        using var copy = new MemoryStream();
        await reader.CopyToAsync(copy);
        return copy.ToArray();
    }

    private sealed class ReplaceFilter(byte from, byte to) : ILogFilter
    {
        public int LargestInput { get; private set; }

        public int MaxHoldBack => 0;

        public int HeldBack => 0;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            LargestInput = Math.Max(LargestInput, input.Length);
            var span = output.GetSpan(input.Length);
            input.CopyTo(span);
            span[..input.Length].Replace(from, to);
            output.Advance(input.Length);
        }

        public void Flush(IBufferWriter<byte> output)
        {
        }
    }

    /// <summary>Always keeps the last byte it was given.</summary>
    private sealed class HoldLastByteFilter : ILogFilter
    {
        private byte? last;

        public int Declared { get; init; } = 1;

        public int Flushes { get; private set; }

        public int MaxHoldBack => Declared;

        public int HeldBack => last is null ? 0 : 1;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            if (input.IsEmpty)
            {
                return;
            }

            if (last is { } previous)
            {
                output.Write([previous]);
            }

            output.Write(input[..^1]);
            last = input[^1];
        }

        public void Flush(IBufferWriter<byte> output)
        {
            Flushes++;
            if (last is { } previous)
            {
                output.Write([previous]);
                last = null;
            }
        }
    }

    private sealed class ThrowOnFilter(byte[] trigger) : ILogFilter
    {
        public bool ThrowOnFlush { get; init; }

        public int MaxHoldBack => 0;

        public int HeldBack => 0;

        public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
        {
            if (trigger.Length > 0 && input.IndexOf(trigger) >= 0)
            {
                throw new InvalidOperationException($"cannot mask {Encoding.UTF8.GetString(input)}");
            }

            output.Write(input);
        }

        public void Flush(IBufferWriter<byte> output)
        {
            if (ThrowOnFlush)
            {
                throw new InvalidOperationException("flush failed");
            }
        }
    }
}
