using System.Text;
using TcWorker.Engines;
using TcWorker.Errors;
using Xunit;

namespace TcWorker.Testing;

/// <content>The cases of a killed sandbox, and of displays.</content>
public abstract partial class EngineConformanceTests
{
    /// <summary>The grace period of the graceful kill: long enough for any task to stop, short enough to end within <see cref="Timeout"/>.</summary>
    private TimeSpan GracefulKillPeriod => Timeout / 2;

    /// <summary>
    /// After a kill, the log keeps what the task wrote before it, and the files the task wrote before it
    /// can still be read from the result set: a task killed for exceeding its time still yields artifacts.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AKilledSandboxKeepsItsLogAndArtifacts()
    {
        RequireFeature(EngineFeatures.Kill);
        var artifacts = Required(EngineFeatures.Artifacts, Artifacts, nameof(Artifacts));
        var payload = artifacts.WriteThenSleepPayload ?? throw new InvalidOperationException(
            $"The engine declares EngineFeatures.Kill and EngineFeatures.Artifacts, but {GetType().Name}'s Artifacts has no WriteThenSleepPayload.");
        var (sandbox, task) = await StartRunningAsync(payload).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            var before = task.LogText;
            await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                Assert.False(result.Success, "A killed sandbox reported success:\n" + task.LogText);
                Assert.StartsWith(before, task.LogText, StringComparison.Ordinal);
                if (SleepStartedText is { } started)
                {
                    Assert.Contains(started, task.LogText, StringComparison.Ordinal);
                }

                Assert.Equal(artifacts.FileText, await ReadAsync(await result.OpenFileAsync(artifacts.FilePath).WaitAsync(Timeout).ConfigureAwait(false)).ConfigureAwait(false));
            }
        }
    }

    /// <summary>
    /// A kill with a grace period asks the task to stop and lets it: a task that ends on its own when asked writes its
    /// last words to the log, and the result is still unsuccessful without an exit code. Skipped unless the subclass
    /// supplies <see cref="StopOnTerminationPayload"/>.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AKillWithAGracePeriodLetsTheTaskStopOnItsOwn()
    {
        RequireFeature(EngineFeatures.Kill);
        var text = Marker();
        var payload = StopOnTerminationPayload(text);
        Skip.If(payload is null, $"{GetType().Name} does not override StopOnTerminationPayload");
        var (sandbox, task) = await StartRunningAsync(payload!).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.KillAsync(GracefulKillPeriod).WaitAsync(Timeout).ConfigureAwait(false);
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                Assert.False(result.Success, "A killed sandbox reported success:\n" + task.LogText);
                Assert.Null(result.ExitCode);
                Assert.True(task.LogText.Contains(text, StringComparison.Ordinal), "The task had no chance to stop on its own: its last words are not in the log:\n" + task.LogText);
            }
        }
    }

    /// <summary>
    /// An abort after a kill throws <see cref="SandboxTerminatedException"/>, as after any end of the task, and
    /// the killed result stays: waiting still returns it.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AbortAfterKillThrowsAndKeepsTheKilledResult()
    {
        RequireFeature(EngineFeatures.Kill);
        var (sandbox, task) = await StartRunningAsync(SleepPayload()).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            await sandbox.KillAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await Assert.ThrowsAsync<SandboxTerminatedException>(() => sandbox.AbortAsync().WaitAsync(Timeout)).ConfigureAwait(false);
            var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
            await using (result.ConfigureAwait(false))
            {
                Assert.False(result.Success, "A killed sandbox reported success:\n" + task.LogText);
            }
        }
    }

    /// <summary>
    /// A running sandbox lists the displays the case names, each with a size; each opens as a VNC stream that
    /// starts with the RFB protocol version; an unknown name is a <see cref="ResourceNotFoundException"/>.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ListsAndOpensItsDisplays()
    {
        var displays = Required(EngineFeatures.Displays, Displays, nameof(Displays));
        var (sandbox, _) = await StartRunningAsync(displays.Payload).ConfigureAwait(false);
        await using (sandbox.ConfigureAwait(false))
        {
            var listed = await sandbox.ListDisplaysAsync().WaitAsync(Timeout).ConfigureAwait(false);
            Assert.Equal(displays.DisplayNames.Order(StringComparer.Ordinal), listed.Select(d => d.Name).Order(StringComparer.Ordinal));
            foreach (var display in listed)
            {
                Assert.True(display.Width > 0 && display.Height > 0, $"The display {display.Name} has no size ({display.Width}x{display.Height}).");
                var stream = await sandbox.OpenDisplayAsync(display.Name).WaitAsync(Timeout).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    // RFB 6.1.1: the server speaks first, with "RFB xxx.yyy\n".
                    var version = new byte[12];
                    await stream.ReadExactlyAsync(version).AsTask().WaitAsync(Timeout).ConfigureAwait(false);
                    Assert.StartsWith("RFB ", Encoding.ASCII.GetString(version), StringComparison.Ordinal);
                }
            }

            await Assert.ThrowsAsync<ResourceNotFoundException>(() => sandbox.OpenDisplayAsync(displays.InvalidDisplayName).WaitAsync(Timeout)).ConfigureAwait(false);
        }
    }
}
