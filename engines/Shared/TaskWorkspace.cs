using System.Security.Cryptography;

namespace TcWorker.Engines.Shared;

/// <summary>
/// A task's directory (mode 700) and, optionally, the OS user it runs as. Owned by exactly one of
/// the sandbox builder, the sandbox or the result set at a time; disposing it kills what still runs
/// as the user, deletes the user and the directory. Idempotent.
/// </summary>
internal sealed class TaskWorkspace : IAsyncDisposable
{
    private readonly TimeProvider time;
    private int disposed;

    private TaskWorkspace(string directory, TaskUser? user, TimeProvider time)
    {
        Directory = directory;
        User = user;
        this.time = time;
    }

    public string Directory { get; }

    public TaskUser? User { get; }

    public static async Task<TaskWorkspace> CreateAsync(string parent, bool createUser, TimeProvider time, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(parent, "task-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        TaskUser? user = null;
        try
        {
            if (createUser)
            {
                user = await TaskUser.CreateAsync(directory, cancellationToken).ConfigureAwait(false);
                if (user.Uid is { } uid && user.Gid is { } gid)
                {
                    Posix.Chown(directory, uid, gid);
                }
            }

            return new TaskWorkspace(directory, user, time);
        }
        catch
        {
            await new TaskWorkspace(directory, user, time).DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates the folder under which task directories live, removing what a crashed run left there.</summary>
    public static async Task PrepareParentAsync(string parent, TimeProvider time)
    {
        await TaskUser.RemoveLeftoversAsync(parent, time).ConfigureAwait(false);
        if (System.IO.Directory.Exists(parent))
        {
            foreach (var leftover in System.IO.Directory.EnumerateDirectories(parent))
            {
                DeleteTree(leftover);
            }
        }

        System.IO.Directory.CreateDirectory(parent);
        if (!OperatingSystem.IsWindows())
        {
            // Task users must be able to reach their own directory, but not list the others.
            File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        if (User is not null)
        {
            await User.DeleteAsync(time).ConfigureAwait(false);
        }

        DeleteTree(Directory);
    }

    /// <summary>Deletes a folder, also when the task took permissions away from parts of it.</summary>
    internal static void DeleteTree(string path)
    {
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
