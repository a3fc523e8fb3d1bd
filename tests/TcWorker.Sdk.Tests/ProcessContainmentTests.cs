using System.Diagnostics;
using TcWorker.Engines;
using TcWorker.Engines.Testing;

namespace TcWorker.Sdk.Tests;

/// <summary>
/// A task's control group, on each hierarchy this host offers (cgroup v1, and the v2 hierarchy mounted beside it):
/// what a process started in it forks stays in it, a kill leaves nothing, a limit holds, and a later run removes
/// what an earlier one left.
/// </summary>
public sealed class ProcessContainmentTests
{
    public static TheoryData<bool> Hierarchies => new() { false, true };

    [SkippableTheory]
    [MemberData(nameof(Hierarchies))]
    public async Task What_escapes_the_process_tree_stays_in_the_group_and_dies_with_it(bool unified)
    {
        using var containment = Create(unified, out var scope);
        var seconds = HostProcesses.UniqueSleepSeconds();
        var group = containment.CreateGroup();
        await using (group)
        {
            using var shell = group.Start(Shell($"env -i setsid sh -c '(sleep {seconds} &) &'; echo started"));
            Assert.Equal("started", await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            await HostProcesses.WaitForAsync("sleep " + seconds, 1);
            // Read in that order, a process forked between the two reads is a member but not yet seen, never the reverse.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            List<int> outside;
            do
            {
                var running = HostProcesses.WithCommandLine("sleep " + seconds);
                var members = group.GetProcessIds();
                outside = [.. running.Except(members)];
            }
            while (outside.Count > 0 && DateTime.UtcNow < deadline);
            Assert.Empty(outside);

            Assert.True(await group.KillAllAsync());
            Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
            Assert.Empty(group.GetProcessIds());
        }

        Assert.DoesNotContain(group.Name, Folders(scope));
    }

    [SkippableTheory]
    [MemberData(nameof(Hierarchies))]
    public async Task A_process_starts_in_its_group_and_the_worker_stays_out_of_it(bool unified)
    {
        using var containment = Create(unified, out var scope);
        var group = containment.CreateGroup(maxProcesses: 1);
        await using (group)
        {
            // Not through a shell: the file itself must find itself in the group, and with a limit of one process the
            // start must not count against the task.
            var info = new ProcessStartInfo("/bin/cat") { UseShellExecute = false, RedirectStandardOutput = true };
            info.ArgumentList.Add("/proc/self/cgroup");
            using var cat = group.Start(info);
            var lines = (await cat.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10))).Split('\n');
            await cat.WaitForExitAsync();
            string[] hierarchies = unified ? ["0::"] : containment.LimitsProcesses ? [":freezer:", ":pids:"] : [":freezer:"];
            foreach (var hierarchy in hierarchies)
            {
                Assert.Contains(lines, line => line.Contains(hierarchy, StringComparison.Ordinal) && line.EndsWith("/" + group.Name, StringComparison.Ordinal));
            }

            Assert.DoesNotContain(Environment.ProcessId, group.GetProcessIds());
            foreach (var folder in GroupFolders(scope, group.Name))
            {
                var threads = Path.Combine(folder, File.Exists(Path.Combine(folder, "tasks")) ? "tasks" : "cgroup.threads");
                var ownThreads = File.ReadAllLines(threads).Where(tid => Directory.Exists("/proc/self/task/" + tid));
                Assert.Empty(ownThreads);
                if (File.Exists(Path.Combine(folder, "pids.max")) && containment.LimitsProcesses)
                {
                    Assert.Equal("1", File.ReadAllText(Path.Combine(folder, "pids.max")).Trim());
                }
            }
        }
    }

    [SkippableFact]
    public async Task A_group_holds_no_more_processes_than_its_limit()
    {
        using var containment = Create(false, out _);
        Skip.IfNot(containment.LimitsProcesses, "The pids controller is not mounted.");
        var seconds = HostProcesses.UniqueSleepSeconds();
        var group = containment.CreateGroup(maxProcesses: 5);
        await using (group)
        {
            Assert.Equal(5, group.MaxProcesses);
            Assert.False(group.ProcessLimitReached);
            using var shell = group.Start(Shell($"for i in 1 2 3 4 5 6 7 8; do sleep {seconds} & done 2>/dev/null; wait"));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!group.ProcessLimitReached && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.True(group.ProcessLimitReached);
            Assert.InRange(group.GetProcessIds().Count, 1, 5);
        }

        Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
    }

    [SkippableTheory]
    [MemberData(nameof(Hierarchies))]
    public async Task A_later_run_kills_and_removes_the_groups_an_earlier_one_left(bool unified)
    {
        var seconds = HostProcesses.UniqueSleepSeconds();
        string scope;
        using (var crashed = Create(unified, out scope))
        {
            // Left as a crashed worker leaves it: neither killed nor disposed.
            var group = crashed.CreateGroup();
            using var sleeper = group.Start(Shell($"env -i setsid sleep {seconds} & exec sleep {seconds}"));
            await HostProcesses.WaitForAsync("sleep " + seconds, 2);
        }

        using var restarted = ProcessContainment.Create(scope, null, unified);
        Assert.Equal(1, await restarted.RemoveLeftoversAsync());
        Assert.Empty(HostProcesses.WithCommandLine("sleep " + seconds));
        Assert.Empty(Folders(scope));
        Assert.Equal(0, await restarted.RemoveLeftoversAsync());
    }

    private static ProcessContainment Create(bool unified, out string scope)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "Control groups are tested on Linux as root.");
        scope = "sdk-test-" + Guid.NewGuid().ToString("N");
        var containment = ProcessContainment.Create(scope, null, unified);
        var expected = unified ? ProcessContainmentKind.CgroupV2 : ProcessContainmentKind.CgroupV1;
        if (containment.Kind != expected)
        {
            containment.Dispose();
            Skip.If(true, $"No {expected} hierarchy here: {containment.Description}");
        }

        Assert.True(containment.IsSubreaper);
        return containment;
    }

    /// <summary>The groups that exist in the scope's folders, in whichever hierarchy.</summary>
    private static List<string> Folders(string scope) =>
        [.. ScopeFolders(scope).SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>()];

    /// <summary>The folders of one group, in whichever hierarchy.</summary>
    private static List<string> GroupFolders(string scope, string name) =>
        [.. ScopeFolders(scope).Select(folder => Path.Combine(folder, name)).Where(Directory.Exists)];

    private static IEnumerable<string> ScopeFolders(string scope)
    {
        var hashed = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(scope)))[..16];
        return new[] { "freezer", "pids", "unified", "" }
            .Select(hierarchy => Path.Combine("/sys/fs/cgroup", hierarchy, "tcworker", hashed))
            .Where(Directory.Exists);
    }

    private static ProcessStartInfo Shell(string script)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        return info;
    }
}
