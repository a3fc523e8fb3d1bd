using System.Collections.Concurrent;
using TcWorker.LocalQueue.Tests.Support;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Many claimers never get the same run twice.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Four_claimers_claim_500_tasks_each_exactly_once()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromMilliseconds(500) });
        var created = new ConcurrentBag<string>();
        var creating = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 125; i++)
            {
                created.Add(await h.CreateAsync());
            }
        })).ToArray();
        var claimed = new ConcurrentBag<string>();
        var claimers = Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            var empty = 0;
            while (empty < 2)
            {
                var claims = (await h.ClaimAsync(tasks: 8, workerId: "w" + n)).Tasks;
                empty = claims.Count == 0 ? empty + 1 : 0;
                foreach (var claim in claims)
                {
                    claimed.Add(claim.Status.TaskId);
                    await h.Client(claim.Credentials).Queue.ReportCompletedAsync(claim.Status.TaskId, claim.RunId);
                }
            }
        })).ToArray();
        await Task.WhenAll(creating);
        await Task.WhenAll(claimers);
        Assert.Equal(500, claimed.Count);
        Assert.Equal(created.Order(StringComparer.Ordinal), claimed.Order(StringComparer.Ordinal));
    }
}
