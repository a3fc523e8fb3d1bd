using TcWorker.Tasks;
using TcWorker.Testing;

namespace TcWorker.Sdk.Tests;

/// <summary>The SDK's masking filter against the log filter kit, as a plugin author would run it.</summary>
public sealed class SecretMaskerConformanceTests : LogFilterConformanceTests
{
    protected override ILogFilter CreateFilter(IReadOnlyList<string> secrets) => new SecretMasker(secrets).CreateFilter();
}
