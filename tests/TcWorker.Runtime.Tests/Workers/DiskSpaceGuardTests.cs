using TcWorker.Runtime.Tests.Worker;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Workers;

namespace TcWorker.Runtime.Tests.Workers;

/// <summary>Garbage collection before a claim, with a fake free-space reading and resources that free it.</summary>
public sealed class DiskSpaceGuardTests
{
    private const long GiB = 1L << 30;
    private readonly ListLogger logger = new();
    private readonly List<string> disposed = [];
    private long free;

    private FakeResource Add(GarbageCollector collector, string name, int minutesAgo, long size, bool inUse = false)
    {
        var resource = new FakeResource(name, DateTimeOffset.UtcNow.AddMinutes(-minutesAgo), size, inUse, disposed, bytes => free += bytes);
        collector.Register(resource);
        return resource;
    }

    [Fact]
    public async Task Low_disk_is_collected_before_a_claim_least_recently_used_first_skipping_what_is_in_use()
    {
        free = 5 * GiB;
        var collector = new GarbageCollector(() => free, 10 * GiB, logger);
        Add(collector, "recent", 1, 3 * GiB);
        Add(collector, "busy", 60, 50 * GiB, inUse: true);
        Add(collector, "middle", 20, 3 * GiB);
        Add(collector, "old", 40, 3 * GiB);
        var guard = new DiskSpaceGuard(collector, "/tmp/worker", logger);

        Assert.True(await guard.HasSpaceAsync(CancellationToken.None));

        Assert.Equal(["old", "middle"], disposed);
        Assert.Equal(11 * GiB, free);
        Assert.Single(logger.Messages(1023));
        Assert.Equal(2, logger.Messages(1025).Count);
        Assert.Contains($"held {3 * GiB} bytes", logger.Messages(1025)[0], StringComparison.Ordinal);
        Assert.Empty(logger.Messages(1010));
    }

    [Fact]
    public async Task When_collecting_is_not_enough_the_worker_does_not_claim_and_says_so_once_until_space_is_back()
    {
        free = 1 * GiB;
        var collector = new GarbageCollector(() => free, 10 * GiB, logger);
        Add(collector, "cache", 10, 2 * GiB);
        Add(collector, "image", 5, 1 * GiB, inUse: true);
        var guard = new DiskSpaceGuard(collector, "/tmp/worker", logger);

        Assert.False(await guard.HasSpaceAsync(CancellationToken.None));
        Assert.False(await guard.HasSpaceAsync(CancellationToken.None));
        Assert.Equal(["cache"], disposed);
        Assert.Equal([$"Not claiming: {3 * GiB} bytes free in /tmp/worker after collecting garbage, below worker.minimumDiskSpace ({10 * GiB} bytes)"], logger.Messages(1010));

        free = 20 * GiB;
        Assert.True(await guard.HasSpaceAsync(CancellationToken.None));
        Assert.Single(logger.Messages(1024));
        Assert.Single(logger.Messages(1023));
    }

    [Fact]
    public async Task A_minimum_of_0_never_collects()
    {
        free = 0;
        var collector = new GarbageCollector(() => free, 0, logger);
        Add(collector, "cache", 10, 2 * GiB);

        Assert.True(await new DiskSpaceGuard(collector, "/tmp/worker", logger).HasSpaceAsync(CancellationToken.None));
        Assert.Empty(disposed);
    }
}
