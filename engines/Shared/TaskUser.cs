namespace TcWorker.Engines.Shared;

/// <summary>
/// A throwaway OS user for one task, named <c>tcw-&lt;random&gt;</c>, whose home is the task
/// directory. <see cref="TaskUsers"/> creates and deletes them.
/// </summary>
internal sealed class TaskUser
{
    public const string NamePrefix = "tcw-";

    public TaskUser(string name, int? uid, int? gid, string? password)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
        Password = password;
    }

    public string Name { get; }

    /// <summary>The numeric user id (POSIX only).</summary>
    public int? Uid { get; }

    /// <summary>The numeric primary group id (POSIX only).</summary>
    public int? Gid { get; }

    /// <summary>The password (Windows only, where a process cannot be started as a user without one).</summary>
    public string? Password { get; }
}
