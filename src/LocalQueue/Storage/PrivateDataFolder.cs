using TcWorker.Shared;

namespace TcWorker.LocalQueue.Storage;

/// <summary>
/// The queue's data folder, private to the user the queue runs as: the database holds the root
/// access token and the key that signs blob URLs, and the artifacts may be private ones. The folder
/// is 700 and everything in it 600 (folders 700), also when an older version left it readable.
/// </summary>
internal static class PrivateDataFolder
{
    /// <summary>Creates the folder or makes an existing one private again.</summary>
    /// <returns>The path of the database file, which exists (600) when this returns.</returns>
    public static string Prepare(string folder)
    {
        OwnerOnly.CreateFolder(folder);
        OwnerOnly.RestrictContents(folder);

        // Created before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
        var database = Path.Combine(folder, "queue.db");
        using (OwnerOnly.OpenFile(database, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
        }

        return database;
    }
}
