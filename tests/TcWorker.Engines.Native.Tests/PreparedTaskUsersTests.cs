using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Engines.Shared;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>Task users prepared ahead of their task, with real useradd and userdel. Needs root.</summary>
public sealed class PreparedTaskUsersTests : IDisposable
{
    private const string NeedsRoot = "Task users need root on Linux (useradd); run the tests as root to cover them.";
    private readonly DirectoryInfo homes = Directory.CreateTempSubdirectory("tcw-prepared-");
    private readonly HashSet<string> seen = [];

    [SkippableFact]
    public async Task A_prepared_user_is_fresh_when_taken_and_goes_to_one_task_only()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var pool = NewPool();
        await using (pool)
        {
            pool.Start();
            var prepared = await WaitForPreparedAsync(pool);

            await using var first = await pool.TakeAsync(CancellationToken.None);
            Assert.Equal(prepared, first.User!.Name);
            Assert.Empty(Directory.EnumerateFileSystemEntries(first.Directory));
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(first.Directory));
            }

            Assert.Equal(first.User.Uid, await OwnerOfAsync(first.Directory));
            Assert.Empty(HostProcesses.OfUser(first.User.Uid!.Value));

            // The next task gets another user, prepared while the first one held its own.
            var next = await WaitForPreparedAsync(pool);
            Assert.NotEqual(first.User.Name, next);
            await using var second = await pool.TakeAsync(CancellationToken.None);
            Assert.Equal(next, second.User!.Name);
            Assert.NotEqual(first.User.Uid, second.User.Uid);
            Assert.NotEqual(first.Directory, second.Directory);
        }

        Assert.Empty(UsersUnderHomes());
        Assert.Empty(homes.EnumerateFileSystemInfos());
    }

    [SkippableFact]
    public async Task A_used_workspace_is_deleted_after_its_task_and_unused_prepared_users_when_the_pool_is_disposed()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var pool = NewPool();
        pool.Start();
        var workspace = await pool.TakeAsync(CancellationToken.None);
        var used = workspace.User!.Name;
        seen.Add(used);
        await File.WriteAllTextAsync(Path.Combine(workspace.Directory, "output"), "x");
        await workspace.DisposeAsync();
        var unused = await WaitForPreparedAsync(pool);
        await HostProcesses.WaitUntilDeletedAsync(used, workspace.Directory);
        Assert.True(HostProcesses.UserExists(unused));

        await pool.DisposeAsync();
        Assert.False(HostProcesses.UserExists(unused));
        Assert.Empty(UsersUnderHomes());
        Assert.Empty(homes.EnumerateFileSystemInfos());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pool.TakeAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_prepared_directory_that_something_wrote_into_is_not_handed_out()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var pool = NewPool();
        await using (pool)
        {
            pool.Start();
            var tampered = await WaitForPreparedAsync(pool);
            var home = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Single(f => f[0] == tampered)[5];
            await File.WriteAllTextAsync(Path.Combine(home, "planted"), "x");

            await using var workspace = await pool.TakeAsync(CancellationToken.None);
            Assert.NotEqual(tampered, workspace.User!.Name);
            Assert.Empty(Directory.EnumerateFileSystemEntries(workspace.Directory));
            await HostProcesses.WaitUntilDeletedAsync(tampered, home);
        }

        Assert.Empty(UsersUnderHomes());
    }

    public void Dispose()
    {
        foreach (var name in UsersUnderHomes())
        {
            Tool.RunAsync("userdel", [name]).GetAwaiter().GetResult();
        }

        homes.Delete(recursive: true);
    }

    private PreparedTaskUsers NewPool() =>
        new(homes.FullName, new TaskUsers(homes.FullName, NullLogger.Instance, TimeProvider.System), NullLogger.Instance);

    /// <summary>The one prepared user, once the pool holds it: the one user under the homes not seen before.</summary>
    private async Task<string> WaitForPreparedAsync(PreparedTaskUsers pool)
    {
        await WaitUntilAsync(() => pool.Ready == 1);
        var prepared = Assert.Single(UsersUnderHomes().Except(seen));
        seen.Add(prepared);
        return prepared;
    }

    private IEnumerable<string[]> Entries() =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Where(f => f.Length > 5 && f[0].StartsWith(TaskUser.NamePrefix, StringComparison.Ordinal) && f[5].StartsWith(homes.FullName + "/", StringComparison.Ordinal)).ToList();

    private List<string> UsersUnderHomes() => [.. Entries().Select(f => f[0])];

    private static async Task<int> OwnerOfAsync(string path) =>
        int.Parse((await Tool.RunAsync("stat", ["-c", "%u", path])).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 60 s");
            await Task.Delay(20);
        }
    }
}
