using TcWorker.Tasks;
using TcWorker.Tests.ApiApproval;

namespace TcWorker.Sdk.Tests;

/// <summary>
/// The public API of the SDK is tracked: any change, even an addition, shows up here and must be
/// approved by copying the .received.txt file over the .approved.txt file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_of_the_sdk_is_approved() =>
        PublicApi.AssertApproved(typeof(SecretMasker).Assembly, typeof(PublicApiTests).Assembly, "TcWorker.Sdk.approved.txt");
}
