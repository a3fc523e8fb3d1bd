using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;
using TcWorker.Errors;

namespace TcWorker.Engines.Native.Tests;

/// <summary>A task never leaves a process behind: not when it ends, not when it is killed or aborted.</summary>
public sealed class ProcessCleanupTests() : EngineTestBase(() => new NativeEngineProvider(), () => new JObject { ["killGracePeriodSeconds"] = 0.5 })
{

    /// <summary>Starts three sleepers that leave the process tree in different ways, then says so.</summary>
    private static string Sleepers(string seconds) =>
        $"sleep {seconds} & setsid sleep {seconds} & (sleep {seconds} &) & sh -c '(sleep {seconds} &) &'; echo sleepers-started";

    [SkippableFact]
    public async Task Background_sleepers_are_killed_when_the_task_ends()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Process cleanup is tested on Linux (/proc).");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell(Sleepers(seconds)));
        await using (result)
        {
            Assert.True(result.Success);
            Assert.Contains("sleepers-started", log.LogText, StringComparison.Ordinal);
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        }
    }

    [SkippableFact]
    public async Task Kill_stops_every_process_and_keeps_an_unsuccessful_result()
    {
        var (sandbox, seconds) = await StartSleepersAsync();
        await using (sandbox)
        {
            await sandbox.KillAsync();
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
            await using var result = await sandbox.WaitForResultAsync();
            Assert.False(result.Success);
            Assert.Null(result.ExitCode);
        }
    }

    [SkippableFact]
    public async Task Abort_stops_every_process_and_throws_the_result_away()
    {
        var (sandbox, seconds) = await StartSleepersAsync();
        await using (sandbox)
        {
            await sandbox.AbortAsync();
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
            await Assert.ThrowsAsync<SandboxAbortedException>(() => sandbox.WaitForResultAsync());
            await Assert.ThrowsAsync<SandboxAbortedException>(() => sandbox.WaitForResultAsync());
        }
    }

    /// <summary>Starts a task whose sleepers all run (four escaped, one in the foreground).</summary>
    private async Task<(ISandbox Sandbox, string Seconds)> StartSleepersAsync()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Process cleanup is tested on Linux (/proc).");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (sandbox, task) = await Harness.StartAsync(NativeEngineTests.Shell(Sleepers(seconds) + $"; sleep {seconds}"));
        await task.WaitForLogAsync("sleepers-started");
        await HostProcesses.WaitForAsync("sleep " + seconds, 5);
        return (sandbox, seconds);
    }

    [SkippableFact]
    public async Task Processes_that_ignore_sigterm_are_killed_after_the_grace_period()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Process cleanup is tested on Linux (/proc).");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (result, _) = await Harness.RunAsync(NativeEngineTests.Shell($"trap '' TERM; setsid sleep {seconds} & echo started"));
        await using (result)
        {
            Assert.True(result.Success);
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        }
    }

    [SkippableFact]
    public async Task Disposing_a_running_sandbox_stops_its_processes()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Process cleanup is tested on Linux (/proc).");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (sandbox, task) = await Harness.StartAsync(NativeEngineTests.Shell($"setsid sleep {seconds} & echo started; sleep {seconds}"));
        await task.WaitForLogAsync("started");
        await HostProcesses.WaitForAsync("sleep " + seconds, 2);
        await sandbox.DisposeAsync();
        Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
    }
}
