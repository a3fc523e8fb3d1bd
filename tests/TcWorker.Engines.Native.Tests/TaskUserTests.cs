using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>With <c>createUser</c>, each task runs as its own throwaway user. Needs root.</summary>
public sealed class TaskUserTests() : EngineTestBase(
    () => new NativeEngineProvider(),
    () => HostProcesses.IsRoot ? new JObject { ["createUser"] = true, ["killGracePeriodSeconds"] = 0.5 } : null)
{
    private const string NeedsRoot = "Per-task users need root on Linux (useradd); run the tests as root to cover them.";

    [SkippableFact]
    public async Task A_task_cannot_read_another_tasks_directory()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var taskA = Harness.NewTask();
        await using var builderA = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = taskA, Payload = NativeEngineTests.Shell("echo top-secret > secret.txt; id -un") });
        var dirA = builderA.WorkingDirectory!;
        await using var sandboxA = await builderA.StartAsync();
        await using var resultA = await sandboxA.WaitForResultAsync();
        Assert.True(resultA.Success);
        var userA = taskA.LogText.Split('\n')[1];
        Assert.StartsWith("tcw-", userA, StringComparison.Ordinal);
        Assert.True(HostProcesses.UserExists(userA));

        var (resultB, logB) = await Harness.RunAsync(NativeEngineTests.Commands(["sh", "-c", "id -un; ls \"$0\"; cat \"$0/secret.txt\"", dirA]));
        await using (resultB)
        {
            Assert.False(resultB.Success);
            Assert.DoesNotContain("top-secret", logB.LogText, StringComparison.Ordinal);
            Assert.Contains("Permission denied", logB.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain(userA, logB.LogText.Replace(dirA, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        }

        // The user and its directory are deleted after the task, in the background.
        await resultA.DisposeAsync();
        await HostProcesses.WaitUntilDeletedAsync(userA, dirA);
    }

    [SkippableFact]
    public async Task Home_is_the_task_directory_and_user_processes_that_clear_their_environment_are_killed()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var seconds = HostProcesses.UniqueSleepSeconds();
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell($"echo \"home=$HOME user=$USER\"; pwd; env -i setsid sleep {seconds} & echo started"));
        await using (result)
        {
            Assert.True(result.Success);
            var lines = log.LogText.Split('\n');
            Assert.Contains($"home={lines[2]} user=tcw-", log.LogText, StringComparison.Ordinal);
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        }
    }

    [SkippableFact]
    public async Task A_fork_chain_that_ignores_sigterm_dies_with_its_task_and_its_uid_goes_to_no_later_task()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);

        // Each link notes its hop, starts the next link and exits, ignoring SIGTERM: faster than a scan of /proc,
        // which may never see a live link. It ends on its own after 10000 hops, so a failing run does not leave it for long.
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell("""
            cat > hop.sh <<'EOF'
            trap '' TERM
            n=${1:-0}
            echo $n >> hops
            if [ "$n" -lt 10000 ]; then sh "$0" $((n+1)) & fi
            EOF
            sh hop.sh; sleep 0.3; echo "uid=$(id -u) user=$(id -un) home=$HOME"
            """));
        var match = System.Text.RegularExpressions.Regex.Match(log.LogText, @"^uid=(\d+) user=(\S+) home=(.+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(match.Success, log.LogText);
        var uid = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var user = match.Groups[2].Value;
        await using (result)
        {
            // The artifacts would be read now: nothing of the task may still run.
            Assert.True(result.Success);
            var hops = Path.Combine(match.Groups[3].Value, "hops");
            var before = new FileInfo(hops).Length;
            await Task.Delay(300);
            Assert.Equal(before, new FileInfo(hops).Length);
            Assert.Empty(HostProcesses.OfUser(uid));
        }

        await HostProcesses.WaitUntilDeletedAsync(user, match.Groups[3].Value);
        var (next, nextLog) = await Harness.RunAsync(NativeEngineTests.Shell("echo \"uid=$(id -u)\""));
        await using (next)
        {
            Assert.True(next.Success);
            Assert.DoesNotContain($"uid={uid}\n", nextLog.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Users_and_directories_left_by_a_crash_are_removed_at_start()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var task = Harness.NewTask();
        var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = NativeEngineTests.Commands(["true"]) });
        var dir = builder.WorkingDirectory!;
        var user = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Single(f => f[5] == dir)[0];

        // The worker "crashed": the builder is never disposed. A new engine on the same storage cleans up.
        await using var engine = new NativeEngineProvider().Create(new EngineOptions { Config = new JObject { ["createUser"] = true }, Environment = Harness.Environment.Environment, Logger = NullLogger.Instance });
        Assert.False(HostProcesses.UserExists(user));
        Assert.False(Directory.Exists(dir));
    }
}
