using TcWorker.Testing;
using TcWorker.Tests.ApiApproval;

namespace TcWorker.Testing.Tests;

/// <summary>
/// The public API of the conformance kits is tracked: any change, even an addition, shows up here and
/// must be approved by copying the .received.txt file over the .approved.txt file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_of_the_testing_kits_is_approved() =>
        PublicApi.AssertApproved(typeof(EngineConformanceTests).Assembly, typeof(PublicApiTests).Assembly, "TcWorker.Testing.approved.txt");
}
