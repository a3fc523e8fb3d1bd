using TcWorker.Engines;
using TcWorker.Tests.ApiApproval;

namespace TcWorker.Abstractions.Tests;

/// <summary>
/// The public API of the contracts is tracked: any change, even an addition, shows up here and must
/// be approved by copying the .received.txt file over the .approved.txt file. A removal or a change
/// of a member is a breaking change and needs a new contract major version.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_of_the_contracts_is_approved() =>
        PublicApi.AssertApproved(typeof(IEngine).Assembly, typeof(PublicApiTests).Assembly, "TcWorker.Abstractions.approved.txt");

    [Fact]
    public void The_contract_version_is_the_assembly_version()
    {
        var version = typeof(IEngine).Assembly.GetName().Version!;
        Assert.Equal(new Version(version.Major, version.Minor), ContractVersion.Current);
        Assert.Equal(0, version.Build);
    }

    [Theory]
    [InlineData("1.0", "1.0", true)]
    [InlineData("1.0", "1.3", true)]
    [InlineData("1.4", "1.3", false)]
    [InlineData("2.0", "1.3", false)]
    [InlineData("0.9", "1.0", false)]
    public void Compatibility_is_same_major_and_minor_not_newer(string builtAgainst, string runtime, bool compatible) =>
        Assert.Equal(compatible, ContractVersion.IsCompatible(Version.Parse(builtAgainst), Version.Parse(runtime)));

}
