using TcWorker.Runtime.Workers;
using TcWorker.Runtime.Tests.Worker;

namespace TcWorker.Runtime.Tests.Workers;

public sealed class WorkerLifetimeTests
{
    [Fact]
    public void Stop_now_also_stops_gracefully_but_not_the_other_way_round()
    {
        using var graceful = new WorkerLifetime();
        graceful.StopGracefully();
        Assert.True(graceful.Stopping.IsCancellationRequested);
        Assert.False(graceful.StoppingNow.IsCancellationRequested);

        using var now = new WorkerLifetime();
        now.StopNow();
        Assert.True(now.StoppingGracefully.IsCancellationRequested);
        Assert.True(now.StoppingNow.IsCancellationRequested);
    }
}

public sealed class GarbageCollectorTests
{
    [Fact]
    public async Task Least_recently_used_resources_go_first_until_the_minimum_is_met_and_busy_ones_stay()
    {
        long free = 100;
        var collector = new GarbageCollector(() => free, minimumDiskSpace: 250);
        var disposed = new List<string>();
        var now = DateTimeOffset.UtcNow;
        var busy = new FakeResource("busy", now.AddMinutes(-10), 500, inUse: true, disposed, b => free += b);
        var old = new FakeResource("old", now.AddMinutes(-5), 100, inUse: false, disposed, b => free += b);
        var middle = new FakeResource("middle", now.AddMinutes(-3), 100, inUse: false, disposed, b => free += b);
        var recent = new FakeResource("recent", now, 100, inUse: false, disposed, b => free += b);
        foreach (var r in new[] { recent, busy, middle, old })
        {
            collector.Register(r);
        }

        await collector.CollectAsync();
        Assert.Equal(["old", "middle"], disposed);
        Assert.Equal(300, free);
    }
}
