namespace TcWorker.LocalQueue.Tests;

/// <summary>The published surface of TcWorker.LocalQueue, approved in PublicApi.approved.txt.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Public_api_matches_the_approved_file() =>
        PublicApiApproval.Verify(typeof(LocalQueueServer).Assembly, "TcWorker.LocalQueue.Tests");
}
