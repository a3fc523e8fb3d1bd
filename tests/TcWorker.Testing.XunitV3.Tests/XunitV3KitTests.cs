using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Engines.Mock;
using TcWorker.Engines.Mock.Tests;
using Xunit.Sdk;
using Xunit.v3;

namespace TcWorker.Testing.XunitV3.Tests;

/// <summary>What differs under xunit v3: skipping, the lifetime interface, and the worker cases' theory rows.</summary>
public sealed class XunitV3KitTests
{
    [Fact]
    public async Task An_undeclared_feature_skips_through_xunit_v3s_own_skip_with_the_reason()
    {
        // Caught by hand: xunit v3's Assert.ThrowsAsync lets a skip through, which would skip this test.
        var skip = await RunAsync(new MockEngineConformanceTests(), async kit =>
        {
            try
            {
                await kit.AShellRunsACommand();
                return null;
            }
            catch (SkipException e)
            {
                return e;
            }
        });
        Assert.NotNull(skip);
        Assert.EndsWith("the engine does not declare EngineFeatures.Shells", skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misbehaving_engine_fails_its_case()
    {
        var error = await RunAsync(new SucceedingFailureConformance(), kit => Assert.ThrowsAnyAsync<XunitException>(kit.LogsTheMarkerOnFailure));
        Assert.Contains("expected it to fail", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_worker_case_is_one_theory_row()
    {
        var method = typeof(MockWorkerCaseTests).GetMethod(nameof(WorkerCaseTests.TheCasePasses))!;
        var rows = await new WorkerCaseNamesAttribute().GetData(method, new DisposalTracker());
        Assert.Equal(["write-log", "write-log-and-fail", "unknown-function", "malformed-after-start", "nonfatal-internal-error", "files-as-artifacts"], rows.Select(r => (string)r.GetData().Single()!));
    }

    private static async Task<T> RunAsync<T>(EngineConformanceTests kit, Func<EngineConformanceTests, Task<T>> test)
    {
        IAsyncLifetime lifetime = kit;
        await lifetime.InitializeAsync();
        try
        {
            return await test(kit);
        }
        finally
        {
            await lifetime.DisposeAsync();
        }
    }

    /// <summary>Its failing payload succeeds.</summary>
    private sealed class SucceedingFailureConformance : EngineConformanceTests
    {
        protected override IEngineProvider CreateProvider() => new MockEngineProvider();

        protected override JObject LogPayload(string text) => new() { ["function"] = "write-log", ["argument"] = text };

        protected override JObject FailingLogPayload(string text) => LogPayload(text);

        protected override JObject SilentPayload() => new() { ["function"] = "true", ["argument"] = string.Empty };

        protected override JObject SleepPayload() => new() { ["function"] = "sleep", ["argument"] = "60000" };
    }
}
