using System.Security.Cryptography;

namespace TcWorker.Engines.Shared;

/// <summary>
/// A task's directory (mode 700) and, optionally, the OS user it runs as. Owned by exactly one of
/// the sandbox builder, the sandbox or the result set at a time; disposing it kills what still runs
/// as the user, deletes the user and the directory (one made by <see cref="PreparedTaskUsers"/> is
/// deleted in the background, which the pool's disposal waits for). Idempotent.
/// </summary>
/// <remarks>
/// A task user owns its directory and may open it to all (<c>chmod 777</c>) while it runs. So on Linux the
/// directory of a task user lies inside a holder folder (<c>PARENT/task-HEX/task</c>) owned by root, with
/// the task user's own group and mode 710: only that user's processes can pass through it, and the user
/// cannot change the holder's mode, so other task users never reach the directory, whatever its mode.
/// </remarks>
internal sealed class TaskWorkspace : IAsyncDisposable
{
    private readonly TaskUsers? users;
    private readonly PreparedTaskUsers? pool;
    private int disposed;

    private TaskWorkspace(string directory, string? holder, TaskUser? user, TaskUsers? users, PreparedTaskUsers? pool)
    {
        Directory = directory;
        Holder = holder;
        User = user;
        this.users = users;
        this.pool = pool;
    }

    public string Directory { get; }

    /// <summary>The folder that holds a task user's directory (see the remarks on the class), or null.</summary>
    public string? Holder { get; }

    public TaskUser? User { get; }

    /// <summary>Creates a task directory under <paramref name="parent"/>, and a user from <paramref name="users"/> unless null.</summary>
    public static Task<TaskWorkspace> CreateAsync(string parent, TaskUsers? users, CancellationToken cancellationToken) =>
        CreateAsync(parent, users, null, cancellationToken);

    /// <summary>As <see cref="CreateAsync(string, TaskUsers?, CancellationToken)"/>; disposal hands the workspace to <paramref name="pool"/> for deletion unless null.</summary>
    internal static async Task<TaskWorkspace> CreateAsync(string parent, TaskUsers? users, PreparedTaskUsers? pool, CancellationToken cancellationToken)
    {
        var name = Path.Combine(parent, "task-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        var holder = users is not null && OperatingSystem.IsLinux() ? name : null;
        var directory = holder is null ? name : Path.Combine(holder, "task");
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            if (holder is not null)
            {
                System.IO.Directory.CreateDirectory(holder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        TaskUser? user = null;
        try
        {
            if (users is not null)
            {
                user = await users.CreateAsync(directory, cancellationToken).ConfigureAwait(false);
                if (user.Uid is { } uid && user.Gid is { } gid)
                {
                    Posix.Chown(directory, uid, gid);
                    if (holder is not null && OperatingSystem.IsLinux())
                    {
                        // Root's, in the task user's own group, which no other user is in: only the task passes.
                        Posix.Chown(holder, 0, gid);
                        File.SetUnixFileMode(holder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
                    }
                }
            }

            return new TaskWorkspace(directory, holder, user, users, pool);
        }
        catch
        {
            await new TaskWorkspace(directory, holder, user, users, null).DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the folder under which task directories live, removing what a crashed run left there
    /// (with <paramref name="users"/>, the task users whose homes were there too).
    /// </summary>
    /// <returns>How many leftover task users and task directories were removed.</returns>
    public static async Task<(int Users, int Folders)> PrepareParentAsync(string parent, TaskUsers? users)
    {
        var removedUsers = users is null ? 0 : await users.RemoveLeftoversAsync().ConfigureAwait(false);
        var removedFolders = 0;
        if (System.IO.Directory.Exists(parent))
        {
            foreach (var leftover in System.IO.Directory.EnumerateDirectories(parent))
            {
                DeleteTree(leftover);
                removedFolders++;
            }
        }

        System.IO.Directory.CreateDirectory(parent);
        if (!OperatingSystem.IsWindows())
        {
            // Task users must be able to reach their own directory, but not list the others.
            File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return (removedUsers, removedFolders);
    }

    /// <summary>
    /// Once the task's processes are gone: hands a task user's directory back to the worker (owner only,
    /// mode 700), so that another task's user cannot read what is left for the upload, even when the
    /// task opened its directory to all. Without a task user nothing changes. Never throws.
    /// </summary>
    /// <returns>Why the directory could not be sealed, or null.</returns>
    public string? Seal()
    {
        if (User?.Uid is null || OperatingSystem.IsWindows() || !Environment.IsPrivilegedProcess)
        {
            return null;
        }

        try
        {
            Posix.Chown(Directory, 0, 0);
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        if (pool is not null)
        {
            pool.Retire(DeleteAsync);
            return;
        }

        await DeleteAsync().ConfigureAwait(false);
    }

    private async Task DeleteAsync()
    {
        if (User is not null && users is not null)
        {
            await users.DeleteAsync(User).ConfigureAwait(false);
        }

        DeleteTree(Holder ?? Directory);
    }

    /// <summary>Deletes a folder, also when the task took permissions away from parts of it.</summary>
    internal static void DeleteTree(string path)
    {
        // A volume mounted in the tree (left by a crash) is detached first, never deleted through.
        IdMappedMounts.DetachAllUnder(path);
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !OperatingSystem.IsWindows())
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).Prepend(path))
            {
                try
                {
                    File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            try
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
