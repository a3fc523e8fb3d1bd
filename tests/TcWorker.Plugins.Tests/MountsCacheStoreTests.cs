using Microsoft.Extensions.Time.Testing;
using Moq;
using TcWorker.Engines;
using TcWorker.Plugins.Mounts;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>The named caches: one task at a time, the most recently used first, eviction only while idle.</summary>
public sealed class MountsCacheStoreTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly List<ICollectableResource> registered = [];
    private readonly CacheStore store;

    public MountsCacheStoreTests()
    {
        var collector = new Mock<IGarbageCollector>();
        collector.Setup(c => c.Register(It.IsAny<ICollectableResource>())).Callback<ICollectableResource>(registered.Add);
        collector.Setup(c => c.Unregister(It.IsAny<ICollectableResource>())).Callback<ICollectableResource>(r => registered.Remove(r));
        store = new CacheStore(collector.Object, time);
    }

    [Fact]
    public async Task A_cache_in_use_is_not_taken_again_and_the_most_recently_used_idle_one_is()
    {
        var first = store.Add("native", "cargo", Volume().Object);
        Assert.Null(store.TryTake("native", "cargo"));
        var second = store.Add("native", "cargo", Volume().Object);
        await store.ReturnAsync(second, purge: false);
        time.Advance(TimeSpan.FromMinutes(1));
        await store.ReturnAsync(first, purge: false);

        Assert.Same(first, store.TryTake("native", "cargo"));
        Assert.Same(second, store.TryTake("native", "cargo"));
        Assert.Null(store.TryTake("native", "cargo"));
        Assert.Null(store.TryTake("docker", "cargo"));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public async Task The_collector_evicts_a_cache_only_while_it_is_idle_and_disposes_its_volume()
    {
        var volume = Volume();
        var cache = store.Add("native", "cargo", volume.Object);
        var resource = Assert.Single(registered);

        Assert.False(await resource.TryDisposeAsync());
        volume.Verify(v => v.DisposeAsync(), Times.Never);
        await store.ReturnAsync(cache, purge: false);
        Assert.True(await resource.TryDisposeAsync());

        volume.Verify(v => v.DisposeAsync(), Times.Once);
        Assert.Empty(registered);
        Assert.Null(store.TryTake("native", "cargo"));
    }

    [Fact]
    public async Task A_purge_drops_idle_caches_now_and_busy_ones_when_their_task_ends()
    {
        var busyVolume = Volume();
        var idleVolume = Volume();
        var busy = store.Add("native", "cargo", busyVolume.Object);
        var idle = store.Add("native", "cargo", idleVolume.Object);
        await store.ReturnAsync(idle, purge: false);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal((1, 1), await store.PurgeAsync("cargo", time.GetUtcNow()));
        idleVolume.Verify(v => v.DisposeAsync(), Times.Once);
        busyVolume.Verify(v => v.DisposeAsync(), Times.Never);
        await store.ReturnAsync(busy, purge: false);

        busyVolume.Verify(v => v.DisposeAsync(), Times.Once);
        Assert.Equal(0, store.Count);
    }

    /// <summary>A purge request compares the cache's creation, not its last use: a cache made after the request stays.</summary>
    [Fact]
    public async Task A_purge_request_drops_caches_made_before_it_even_when_used_since()
    {
        var oldVolume = Volume();
        var old = store.Add("native", "cargo", oldVolume.Object);
        time.Advance(TimeSpan.FromSeconds(1));
        var before = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(1));
        var newer = store.Add("native", "cargo", Volume().Object);
        await store.ReturnAsync(newer, purge: false);
        time.Advance(TimeSpan.FromSeconds(1));
        await store.ReturnAsync(old, purge: false);
        var other = store.Add("native", "npm", Volume().Object);
        await store.ReturnAsync(other, purge: false);

        Assert.Equal((0, 0), await store.PurgeAsync("cargo", before - TimeSpan.FromSeconds(2)));
        Assert.Equal((1, 0), await store.PurgeAsync("cargo", before));

        oldVolume.Verify(v => v.DisposeAsync(), Times.Once);
        Assert.Same(newer, store.TryTake("native", "cargo"));
        Assert.Same(other, store.TryTake("native", "npm"));
    }

    [Fact]
    public async Task A_task_that_purges_its_cache_leaves_the_other_caches_of_the_name()
    {
        var purgedVolume = Volume();
        var purged = store.Add("native", "cargo", purgedVolume.Object);
        var kept = store.Add("native", "cargo", Volume().Object);
        await store.ReturnAsync(kept, purge: false);
        await store.ReturnAsync(purged, purge: true);

        purgedVolume.Verify(v => v.DisposeAsync(), Times.Once);
        Assert.Same(kept, store.TryTake("native", "cargo"));
    }

    private static Mock<IVolume> Volume()
    {
        var volume = new Mock<IVolume>();
        volume.Setup(v => v.DisposeAsync()).Returns(ValueTask.CompletedTask);
        return volume;
    }
}
