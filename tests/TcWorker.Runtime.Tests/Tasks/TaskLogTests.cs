using System.Security.Cryptography;
using System.Text;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Tasks.Fakes;

namespace TcWorker.Runtime.Tests.Tasks;

public sealed class TaskLogTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task System_lines_get_their_prefix_on_every_line()
    {
        using var log = NewLog();
        log.WriteLine("hello");
        log.WriteErrorLine("bad\nworse");
        await log.CloseAsync();

        Assert.Equal("[tc-worker] hello\n[tc-worker:error] bad\n[tc-worker:error] worse\n", await File.ReadAllTextAsync(log.Path));
    }

    [Fact]
    public async Task Writes_after_close_are_ignored_and_length_counts_bytes()
    {
        using var log = NewLog();
        await log.WriteAsync(new byte[] { 1, 2, 3 });
        log.Close();
        log.WriteLine("late");
        await log.WriteAsync(new byte[] { 4 });

        Assert.True(log.IsClosed);
        Assert.Equal(3, log.Length);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(log.Path));
    }

    [Fact]
    public async Task A_reader_opened_after_close_reads_everything_then_ends()
    {
        using var log = NewLog();
        var data = RandomBytes(300_000);
        await log.WriteAsync(data);
        await log.CloseAsync();

        await using var reader = log.OpenReader();
        Assert.Equal(data, await ReadAllAsync(reader));
    }

    [Fact]
    public async Task A_pending_read_wakes_on_write_and_ends_on_close()
    {
        using var log = NewLog();
        await using var reader = log.OpenReader();
        var buffer = new byte[16];

        var pending = reader.ReadAsync(buffer).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);

        await log.WriteAsync("abc"u8.ToArray());
        Assert.Equal(3, await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("abc", Encoding.UTF8.GetString(buffer, 0, 3));

        var end = reader.ReadAsync(buffer).AsTask();
        await log.CloseAsync();
        Assert.Equal(0, await end.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_waiting_read_can_be_cancelled()
    {
        using var log = NewLog();
        await using var reader = log.OpenReader();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => _ = await reader.ReadAsync(new byte[4], cancel.Token));
    }

    [Fact]
    public async Task Fifty_live_readers_receive_exactly_the_bytes_of_the_file()
    {
        using var log = NewLog();
        var readers = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            await using var reader = log.OpenReader();
            return await ReadAllAsync(reader);
        })).ToArray();

        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            if (i % 10 == 0)
            {
                log.WriteLine($"line {i}");
            }

            await log.WriteAsync(RandomBytes(random.Next(1, 20_000), random));
        }

        await log.CloseAsync();
        var file = await File.ReadAllBytesAsync(log.Path);
        Assert.Equal(log.Length, file.Length);
        foreach (var read in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(file, read);
        }
    }

    [Fact]
    public async Task Concurrent_writes_are_each_appended_in_one_piece()
    {
        using var log = NewLog();
        const int Block = 100_000;
        var writers = Enumerable.Range(1, 20).Select(n => Task.Run(async () =>
        {
            var block = Enumerable.Repeat((byte)n, Block).ToArray();
            await log.WriteAsync(block);
            await log.WriteAsync(block);
        })).ToArray();
        var lines = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                log.WriteLine("system");
            }
        });
        await Task.WhenAll(writers.Append(lines));
        await log.CloseAsync();

        var file = await File.ReadAllBytesAsync(log.Path);
        var systemLine = Encoding.UTF8.GetBytes("[tc-worker] system\n");
        Assert.Equal((40L * Block) + (100L * systemLine.Length), file.Length);
        var position = 0;
        var blocks = new Dictionary<byte, int>();
        while (position < file.Length)
        {
            if (file[position] == (byte)'[')
            {
                Assert.Equal(systemLine, file.AsSpan(position, systemLine.Length).ToArray());
                position += systemLine.Length;
                continue;
            }

            var value = file[position];
            Assert.All(file.AsSpan(position, Block).ToArray(), b => Assert.Equal(value, b));
            blocks[value] = blocks.GetValueOrDefault(value) + 1;
            position += Block;
        }

        Assert.Equal(20, blocks.Count);
        Assert.All(blocks.Values, count => Assert.Equal(2, count));
    }

    [Fact]
    public async Task Binary_output_and_huge_writes_arrive_intact()
    {
        using var log = NewLog();
        await using var reader = log.OpenReader();
        var reading = ReadAllAsync(reader);
        var everyByte = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var huge = RandomBytes(8 * 1024 * 1024);
        await log.WriteAsync(everyByte);
        await log.WriteAsync(huge);
        await log.CloseAsync();

        var expected = everyByte.Concat(huge).ToArray();
        Assert.Equal(expected, await reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(expected, await File.ReadAllBytesAsync(log.Path));
    }

    [SkippableFact]
    public async Task A_full_disk_closes_the_log_with_the_error_instead_of_throwing()
    {
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full");
        using var log = new TaskLog("/dev/full");

        log.WriteLine("no room");
        await log.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.IsAssignableFrom<IOException>(log.WriteError);
        Assert.True(log.IsClosed);
        Assert.Equal(0, log.Length);
        await using var reader = log.OpenReader();
        Assert.Equal(0, await reader.ReadAsync(new byte[8]));
    }

    [Fact]
    public async Task The_file_stays_after_dispose()
    {
        var log = NewLog();
        log.WriteLine("kept");
        await log.DisposeAsync();

        Assert.True(File.Exists(log.Path));
    }

    [Fact]
    public void Only_the_worker_may_read_the_log_file()
    {
        // Tasks of other runs may run as other users (createUser): a log is no business of theirs.
        using var log = NewLog();
        log.WriteLine("secret");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log.Path));
    }

    [Fact]
    public async Task The_digests_of_a_log_written_in_pieces_while_it_is_followed_are_those_of_its_file()
    {
        using var log = NewLog();
        await log.WriteAsync(RandomBytes(1000));
        await using var digest = TaskLogDigest.Follow(log);
        var random = new Random(7);
        for (var i = 0; i < 60; i++)
        {
            // pieces from a few bytes to more than one block, with pauses in between
            await log.WriteAsync(RandomBytes(random.Next(1, 3 << 18), random));
            if (i % 10 == 0)
            {
                await Task.Delay(30);
            }
        }

        log.WriteLine("the last line");
        Assert.False(digest.Completion.IsCompleted);
        await log.CloseAsync();

        var hashes = await digest.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        var file = await File.ReadAllBytesAsync(log.Path);
        Assert.NotNull(hashes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), hashes.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(file)), hashes.Sha512);
    }

    [Fact]
    public async Task A_file_with_bytes_past_the_logs_length_gives_no_digests()
    {
        using var log = NewLog();
        await using var digest = TaskLogDigest.Follow(log);
        await log.WriteAsync(RandomBytes(5000));

        // what a failed write can leave behind: bytes in the file that the log never published
        await File.AppendAllTextAsync(log.Path, "half a write");
        await log.CloseAsync();

        Assert.Null(await digest.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Disposing_stops_the_digest_of_an_open_log()
    {
        using var log = NewLog();
        var digest = TaskLogDigest.Follow(log);
        await log.WriteAsync(RandomBytes(100));

        await digest.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(await digest.Completion);
    }

    private TaskLog NewLog() => new(folder.NewFile());

    private static byte[] RandomBytes(int count, Random? random = null)
    {
        var bytes = new byte[count];
        (random ?? Random.Shared).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(Stream reader)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[7919];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }
}
