using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Engines.Shared;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>How task users are created and deleted, with real useradd and userdel. Needs root.</summary>
public sealed class TaskUsersTests : IDisposable
{
    // Above the regular users' range (login.defs), so that no account another program creates meanwhile takes them.
    private const int FirstUid = 60_700;
    private const int LastUid = 60_701;
    private readonly DirectoryInfo homes = Directory.CreateTempSubdirectory("tcw-users-");
    private readonly List<string> created = [];

    [SkippableFact]
    public async Task A_user_that_userdel_cannot_delete_is_logged_keeps_its_uid_from_new_users_and_goes_at_the_next_start()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Task users need root on Linux (useradd); run the tests as root to cover them.");
        var logger = new ListLogger();
        var failUserdel = true;
        ToolRunner runTool = (fileName, arguments, cancellationToken) => fileName == "userdel" && failUserdel
            ? Task.FromResult((8, "userdel: user is currently used by process 4242\n"))
            : Tool.RunAsync(fileName, arguments, cancellationToken);
        var users = new TaskUsers(homes.FullName, logger, TimeProvider.System, runTool, (FirstUid, LastUid));

        var first = await CreateAsync(users, "task-a");
        await users.DeleteAsync(first);
        var error = Assert.Single(logger.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal));
        Assert.Contains(first.Name, error, StringComparison.Ordinal);
        Assert.Contains("exit code 8: userdel: user is currently used by process 4242", error, StringComparison.Ordinal);
        Assert.True(users.IsQuarantined(first.Uid!.Value));
        Assert.True(HostProcesses.UserExists(first.Name));

        // The engine's next start removes the account, for real this time.
        Assert.Equal(1, await new TaskUsers(homes.FullName, NullLogger.Instance, TimeProvider.System).RemoveLeftoversAsync());
        Assert.False(HostProcesses.UserExists(first.Name));

        // Its uid is free again in /etc/passwd, yet not handed out: the other uid of the range is, each time.
        failUserdel = false;
        var other = FirstUid + LastUid - first.Uid.Value;
        for (var i = 0; i < 2; i++)
        {
            var next = await CreateAsync(users, "task-" + i);
            Assert.Equal(other, next.Uid);
            await users.DeleteAsync(next);
            Assert.False(HostProcesses.UserExists(next.Name));
        }

        Assert.DoesNotContain(logger.Lines.Skip(1), l => l.StartsWith("Error:", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_task_user_gets_no_subordinate_ids()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Task users need root on Linux (useradd); run the tests as root to cover them.");
        // The regular users' range, where useradd hands out subordinate ids by default when /etc/subuid exists.
        var users = new TaskUsers(homes.FullName, NullLogger.Instance, TimeProvider.System);
        var user = await CreateAsync(users, "task-ids");
        foreach (var file in new[] { "/etc/subuid", "/etc/subgid" }.Where(File.Exists))
        {
            Assert.DoesNotContain(File.ReadLines(file), l => l.StartsWith(user.Name + ":", StringComparison.Ordinal) || l.StartsWith(user.Uid + ":", StringComparison.Ordinal));
        }

        await users.DeleteAsync(user);
        Assert.False(HostProcesses.UserExists(user.Name));
    }

    public void Dispose()
    {
        foreach (var name in created.Where(HostProcesses.UserExists))
        {
            Tool.RunAsync("userdel", [name]).GetAwaiter().GetResult();
        }

        homes.Delete(recursive: true);
    }

    private async Task<TaskUser> CreateAsync(TaskUsers users, string folder)
    {
        var user = await users.CreateAsync(Path.Combine(homes.FullName, folder), CancellationToken.None);
        created.Add(user.Name);
        return user;
    }
}
