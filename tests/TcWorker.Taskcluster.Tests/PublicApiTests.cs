namespace TcWorker.Taskcluster.Tests;

/// <summary>The published surface of TcWorker.Taskcluster, approved in PublicApi.approved.txt.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Public_api_matches_the_approved_file() =>
        PublicApiApproval.Verify(typeof(TaskclusterClient).Assembly, "TcWorker.Taskcluster.Tests");
}
