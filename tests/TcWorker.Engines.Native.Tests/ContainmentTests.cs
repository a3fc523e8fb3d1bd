using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>
/// Without createUser, nothing a task starts outlives it, however it leaves the process tree and whatever it does
/// to its environment: every process is in the task's control group. Orphans are reaped, a fork bomb stops at the
/// task's process limit, and a crashed run's groups are removed at the next start.
/// </summary>
public sealed class ContainmentTests() : EngineTestBase(() => new NativeEngineProvider(), () => new JObject { ["killGracePeriodSeconds"] = 0.5, ["maxProcesses"] = 64 })
{
    /// <summary>Each way out of the process tree, with the environment (and its marker) cleared.</summary>
    public static TheoryData<string, string> Escapes => new()
    {
        { "env -i setsid", "env -i setsid sleep {0} &" },
        { "double fork", "env -i sh -c '(sleep {0} &) &'" },
        { "nohup", "env -i nohup sleep {0} >/dev/null 2>&1 &" },
        { "disown", "env -i bash -c 'sleep {0} & disown'" },
        { "daemon closing every descriptor", "env -i setsid sh -c 'exec 0<&- 1>&- 2>&-; (exec sleep {0}) & exit 0' &" },
    };

    [SkippableTheory]
    [MemberData(nameof(Escapes))]
    public async Task Nothing_the_task_started_survives_it(string technique, string script)
    {
        SkipUnlessContained();
        var seconds = HostProcesses.UniqueSleepSeconds();
        var command = string.Format(CultureInfo.InvariantCulture, script, seconds);
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell($"{command} sleep 0.3; echo escaped"));
        await using (result)
        {
            Assert.True(result.Success, technique + ": " + log.LogText);
            Assert.Contains("escaped", log.LogText, StringComparison.Ordinal);
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        }
    }

    [SkippableFact]
    public async Task Nothing_a_shell_into_the_task_started_survives_the_task()
    {
        SkipUnlessContained();
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (running, _) = await Harness.StartAsync(NativeEngineTests.Shell("echo ready; exec sleep 600"));
        await using (running)
        {
            await using (var shell = await running.OpenShellAsync(["/bin/sh", "-c", $"env -i setsid sleep {seconds} & echo started"], tty: false))
            {
                Assert.Equal(0, await shell.WaitAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            }

            Assert.NotEmpty(HostProcesses.WithCommandLine("sleep " + seconds));
            await running.KillAsync();
            await (await running.WaitForResultAsync()).DisposeAsync();
        }

        Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
    }

    [SkippableFact]
    public async Task Orphans_are_reaped_and_no_zombie_is_left()
    {
        SkipUnlessContained();
        var unwaited = "zu" + Random.Shared.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
        var orphan = "zo" + Random.Shared.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
        // The first is never waited for by its parent, a zombie until the task ends; the second is an orphan at once, in the middle of the task.
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell(
            $"cp /bin/true ./{unwaited} && cp /bin/true ./{orphan} && sh -c './{unwaited} & exec sleep 60' & sh -c './{orphan} &'; sleep 0.5; echo forked"));
        await using (result)
        {
            Assert.True(result.Success, log.LogText);
            Assert.Contains("forked", log.LogText, StringComparison.Ordinal);
            Assert.True(await NoneLeftAsync(unwaited, TimeSpan.Zero), $"The zombie '{unwaited}' outlived its task.");
            Assert.True(await NoneLeftAsync(orphan, TimeSpan.FromSeconds(4)), $"The zombie '{orphan}' was never reaped.");
        }
    }

    [SkippableFact]
    public async Task A_fork_bomb_fails_its_task_at_the_process_limit_and_other_tasks_run_on()
    {
        SkipUnlessContained();
        var seconds = HostProcesses.UniqueSleepSeconds();
        // about a thousand processes if nothing stops it; the task's limit here is 64.
        var bomb = $"f() {{ if [ $1 -lt 8 ]; then f $(($1+1)) & f $(($1+1)); fi; sleep {seconds}; }}; f 0";
        var (bombing, bombTask) = await Harness.StartAsync(NativeEngineTests.Shell(bomb));
        await using (bombing)
        {
            var (other, otherLog) = await Harness.RunAsync(NativeEngineTests.Shell("echo still-running"));
            await using (other)
            {
                Assert.True(other.Success, otherLog.LogText);
            }

            await using var result = await bombing.WaitForResultAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(result.Success);
            Assert.Contains("reached its limit of 64 processes", bombTask.LogText, StringComparison.Ordinal);
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        }
    }

    [SkippableFact]
    public async Task A_new_engine_removes_the_groups_and_processes_a_crashed_run_left()
    {
        SkipUnlessContained();
        var seconds = HostProcesses.UniqueSleepSeconds();
        // A run that never ends its task: its sandbox is left as a crashed worker leaves it.
        var (abandoned, task) = await Harness.StartAsync(NativeEngineTests.Shell($"env -i setsid sleep {seconds} & echo started; exec env -i sleep {seconds}"));
        await task.WaitForLogAsync("started");
        await HostProcesses.WaitForAsync("sleep " + seconds, 2);

        var logger = new ListLogger();
        var restarted = new NativeEngineProvider().Create(new EngineOptions { Config = [], Environment = Harness.Environment.Environment, Logger = logger });
        await using (restarted)
        {
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
            Assert.Contains(logger.Lines, l => l.Contains("Removed 1 control groups", StringComparison.Ordinal));
        }

        await abandoned.DisposeAsync();
    }

    [SkippableFact]
    public async Task A_task_user_cannot_move_its_processes_out_of_the_group()
    {
        SkipUnlessContained();
        var engine = new NativeEngineProvider().Create(new EngineOptions
        {
            Config = new JObject { ["createUser"] = true, ["killGracePeriodSeconds"] = 0.5 },
            Environment = Harness.Environment.Environment,
            Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
        });
        await using (engine)
        {
            var task = Harness.NewTask();
            await using var builder = await engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = NativeEngineTests.Shell(
                "grep -E ':(freezer|pids):' /proc/self/cgroup; for h in freezer pids; do echo $$ > /sys/fs/cgroup/$h/cgroup.procs 2>/dev/null && echo moved-$h; done; echo tried-$((2*2))") });
            await using var sandbox = await builder.StartAsync();
            await using var result = await sandbox.WaitForResultAsync();
            Assert.True(result.Success, task.LogText);
            Assert.Contains("tried-4", task.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("moved-freezer", task.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("moved-pids", task.LogText, StringComparison.Ordinal);
            Assert.Matches(@":freezer:/tcworker/[0-9a-f]{16}/task-[0-9a-f]{16}\n", task.LogText);
            Assert.Matches(@":pids:/tcworker/[0-9a-f]{16}/task-[0-9a-f]{16}\n", task.LogText);
        }
    }

    private static void SkipUnlessContained()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "Control groups are tested on Linux as root.");
        using var probe = ProcessContainment.Create("containment-probe");
        Skip.If(probe.Kind == ProcessContainmentKind.None, "No control group hierarchy here: " + probe.Description);
    }

    /// <summary>Whether no process (zombies included) named <paramref name="name"/> is left within <paramref name="within"/>.</summary>
    private static async Task<bool> NoneLeftAsync(string name, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var left = Directory.EnumerateDirectories("/proc").Where(dir => int.TryParse(Path.GetFileName(dir), out _)).Any(dir =>
            {
                try
                {
                    return File.ReadAllText(Path.Combine(dir, "stat")).Contains($"({name})", StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            });
            if (!left)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }
    }
}
