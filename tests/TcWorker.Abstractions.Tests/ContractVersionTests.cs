using TcWorker.Engines;

namespace TcWorker.Abstractions.Tests;

/// <summary>
/// The contract version. The public API of the contracts is approved in TcWorker.Abstractions.approved.txt
/// by tests/TcWorker.Cli.Tests/PublicApiTests.cs, with every other shipped package's.
/// </summary>
public sealed class ContractVersionTests
{
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
