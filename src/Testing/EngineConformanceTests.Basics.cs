using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Runtime.Schemas;
using Xunit;

namespace TcWorker.Testing;

/// <content>The cases every engine must pass: schemas, logging, success and failure, kill and abort.</content>
public abstract partial class EngineConformanceTests
{
    /// <summary>
    /// The engine config matches the provider's config schema, and every payload the subclass supplies
    /// matches the engine's payload schema: a worker validates both before the engine sees them.
    /// </summary>
    [SkippableFact]
    public void TheConfigAndThePayloadsMatchTheirSchemas()
    {
        var engine = Engine;
        var config = SchemaValidator.Create(CreateProvider().ConfigSchema).Validate(EngineConfig);
        Assert.True(config.Count == 0, "The engine config does not match the provider's config schema:\n" + string.Join("\n", config));
        var validator = SchemaValidator.Create(engine.PayloadSchema);
        foreach (var (member, payload) in SuppliedPayloads())
        {
            var violations = validator.Validate(payload);
            Assert.True(violations.Count == 0, $"The payload of {member} does not match the engine's payload schema:\n" + string.Join("\n", violations));
        }
    }

    /// <summary>
    /// A started engine on a host that can run its tasks answers healthy, within the 10 s a worker
    /// allows a health check: an unhealthy answer would keep the worker from claiming.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AStartedEngineIsHealthy()
    {
        var health = await Engine.CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        Assert.NotNull(health);
        Assert.True(health.IsHealthy, $"The engine answered {health}.");
    }

    /// <summary>The marker is in the log of a successful run.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public Task LogsTheMarkerOnSuccess() => AssertLogsTheMarkerAsync(LogPayload, success: true);

    /// <summary>The marker is in the log of a failed run, and the result is unsuccessful.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public Task LogsTheMarkerOnFailure() => AssertLogsTheMarkerAsync(FailingLogPayload, success: false);

    /// <summary>A silent run, beside one that logs the marker, succeeds without the marker in its own log: logs are per task.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task TheSilentPayloadSucceedsWithoutTheMarkerOfATaskBesideIt()
    {
        var marker = Marker();
        var logging = RunAsync(LogPayload(marker));
        var (result, task) = await RunAsync(SilentPayload()).ConfigureAwait(false);
        var (other, otherTask) = await logging.ConfigureAwait(false);
        await using (other.ConfigureAwait(false))
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success, "The silent payload did not succeed:\n" + task.LogText);
            Assert.Contains(marker, otherTask.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain(marker, task.LogText, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Once a task has ended, every wait returns the same result, an abort throws
    /// <see cref="SandboxTerminatedException"/> and a kill (where declared) changes nothing.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AfterTheEndAbortThrowsAndKillChangesNothing()
    {
        var (sandbox, task) = await StartAsync(SilentPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                await Assert.ThrowsAsync<SandboxTerminatedException>(sandbox.AbortAsync).ConfigureAwait(false);
                if (Engine.Capabilities.Supports(EngineFeatures.Kill))
                {
                    await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
                }

                Assert.Same(result, await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false));
                Assert.True(result.Success, "The silent payload did not succeed:\n" + task.LogText);
            }
        }
    }

    /// <summary>Killing a running sandbox gives an unsuccessful result without an exit code, the same on every call.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task KillEndsARunningSandboxUnsuccessfully()
    {
        RequireFeature(EngineFeatures.Kill);
        var (sandbox, task) = await StartRunningAsync(SleepPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                Assert.False(result.Success, "A killed sandbox reported success:\n" + task.LogText);
                Assert.True(result.ExitCode is null, $"A killed sandbox reported the exit code {result.ExitCode}; a killed result has none, so that a kill never reads as a (retryable) exit code.");
                Assert.Same(result, await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false));
            }
        }
    }

    /// <summary>After an abort, waiting for the result throws <see cref="SandboxAbortedException"/>.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AbortMakesWaitForResultThrow()
    {
        var (sandbox, _) = await StartRunningAsync(SleepPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.AbortAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await Assert.ThrowsAsync<SandboxAbortedException>(() => sandbox.WaitForResultAsync().WaitAsync(Timeout)).ConfigureAwait(false);
        }
    }

    private async Task AssertLogsTheMarkerAsync(Func<string, JObject> payload, bool success)
    {
        var marker = Marker();
        var (result, task) = await RunAsync(payload(marker)).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(result.Success == success, $"The run {(result.Success ? "succeeded" : "failed")}, expected it to {(success ? "succeed" : "fail")}:\n" + task.LogText);
            Assert.Contains(marker, task.LogText, StringComparison.Ordinal);
        }
    }
}
