namespace TcWorker.Testing.Tests;

/// <summary>The test environment's purge-cache service: what a plugin that keeps caches sees through <c>IWorkerEnvironment.PurgeRequests</c>.</summary>
public sealed class PurgeRequestKitTests
{
    [Fact]
    public async Task The_environment_lists_the_requests_the_test_added_since_a_time_and_fails_when_told()
    {
        await using var environment = await EngineTestEnvironment.CreateAsync();
        var service = environment.Environment.PurgeRequests;
        Assert.Same(environment.PurgeRequests, service);

        var early = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        environment.PurgeRequests.Add("cargo", early);
        environment.PurgeRequests.Add("npm", early.AddHours(1));
        Assert.Equal(["cargo", "npm"], (await service!.ListAsync(null)).Select(r => r.CacheName));
        var later = Assert.Single(await service.ListAsync(early.AddMinutes(30)));
        Assert.Equal(("npm", early.AddHours(1)), (later.CacheName, later.Before));

        environment.PurgeRequests.Fail("unreachable");
        Assert.Equal("unreachable", (await Assert.ThrowsAsync<InvalidOperationException>(() => service.ListAsync(null))).Message);
        environment.PurgeRequests.Fail(null);
        Assert.Equal(2, (await service.ListAsync(null)).Count);
        Assert.Equal(4, environment.PurgeRequests.Calls);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.ListAsync(null, new CancellationToken(canceled: true)));
    }
}
