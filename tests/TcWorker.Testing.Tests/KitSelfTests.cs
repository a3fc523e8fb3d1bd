using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Engines.Mock;
using TcWorker.Plugins;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Testing.Tests;

/// <summary>The kit catches an engine that misbehaves, and skips what an engine does not declare.</summary>
public sealed class KitSelfTests
{
    [Fact]
    public Task A_failing_payload_that_succeeds_fails_the_logging_case() =>
        WithKitAsync(kit => Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(kit.LogsTheMarkerOnFailure));

    [Fact]
    public Task A_declared_feature_without_its_payload_fails_naming_the_member() => WithKitAsync(async kit =>
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(kit.ATaskReachesAProxyAtItsUrl);
        Assert.Contains("EngineFeatures.Proxies", error.Message, StringComparison.Ordinal);
        Assert.Contains("PingProxyUrlPayload", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    public Task An_undeclared_feature_is_skipped_with_the_reason() => WithKitAsync(async kit =>
    {
        var skip = await Assert.ThrowsAsync<SkipException>(kit.AShellRunsACommand);
        Assert.Equal("the engine does not declare EngineFeatures.Shells", skip.Message);
    });

    [Fact]
    public Task A_payload_that_breaks_the_engine_schema_fails_the_schema_case() => WithKitAsync(kit =>
    {
        var error = Assert.ThrowsAny<Xunit.Sdk.XunitException>(kit.TheConfigAndThePayloadsMatchTheirSchemas);
        Assert.Contains("The payload of SilentPayload does not match", error.Message, StringComparison.Ordinal);
        Assert.Contains("function", error.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    });

    [Theory]
    [InlineData(true, TaskRunState.Failed)]
    [InlineData(false, TaskRunState.Completed)]
    public async Task The_plugin_harness_propagates_the_engine_result_unless_told_not_to(bool propagate, TaskRunState state)
    {
        await using var harness = await PluginHarness.CreateAsync(new NoOpPluginProvider(), propagateEngineSuccess: propagate);

        var outcome = await harness.RunAsync([], MockFunction.Fail);

        Assert.Equal(state, outcome.State);
        outcome.AssertLogMatches("^\\[tc-worker\\] Task .* starting on engine 'mock'$");
    }

    private static Task WithKitAsync(Func<MisconfiguredMockConformance, Task> test) => Kit.RunAsync(new MisconfiguredMockConformance(), test);

    private sealed class NoOpPluginProvider : IPluginProvider
    {
        public string Name => "no-op";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public IPlugin Create(PluginOptions options) => new NoOpPlugin();

        private sealed class NoOpPlugin : IPlugin
        {
            public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

            public IReadOnlyList<DocSection> Documentation => [];

            public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) => Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// Its failing payload succeeds, its silent payload lacks the function the mock engine's schema
    /// requires, and it supplies no proxy payload although the mock engine declares proxies.
    /// </summary>
    private sealed class MisconfiguredMockConformance : EngineConformanceTests
    {
        protected override IEngineProvider CreateProvider() => new MockEngineProvider();

        protected override JObject LogPayload(string text) => new() { ["function"] = "write-log", ["argument"] = text };

        protected override JObject FailingLogPayload(string text) => LogPayload(text);

        protected override JObject SilentPayload() => new() { ["argument"] = "no function" };

        protected override JObject SleepPayload() => new() { ["function"] = "sleep", ["argument"] = "60000" };
    }
}
