using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;

namespace TcWorker.LocalQueue.Storage;

/// <summary>
/// The queue's SQLite database (WAL). One connection; callers serialise access (see <see cref="QueueStore"/>).
/// Each task row keeps its definition and status JSON plus the columns the queue searches by.
/// </summary>
internal sealed partial class QueueDatabase : IDisposable
{
    private readonly SqliteConnection connection;

    public QueueDatabase(string path)
    {
        connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
        Execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS tasks (
              task_id TEXT PRIMARY KEY, queue TEXT NOT NULL, definition TEXT NOT NULL, status TEXT NOT NULL,
              pending INTEGER NOT NULL, prio INTEGER NOT NULL, seq INTEGER NOT NULL, deadline INTEGER NOT NULL,
              taken_until INTEGER, active INTEGER NOT NULL, expires INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS tasks_pending ON tasks (queue, prio DESC, seq) WHERE pending = 1;
            CREATE INDEX IF NOT EXISTS tasks_taken ON tasks (taken_until) WHERE taken_until IS NOT NULL;
            CREATE INDEX IF NOT EXISTS tasks_deadline ON tasks (deadline) WHERE active = 1;
            CREATE INDEX IF NOT EXISTS tasks_expires ON tasks (expires);
            CREATE TABLE IF NOT EXISTS deps (task_id TEXT NOT NULL, required_id TEXT NOT NULL, PRIMARY KEY (required_id, task_id));
            CREATE TABLE IF NOT EXISTS artifacts (
              task_id TEXT NOT NULL, run_id INTEGER NOT NULL, name TEXT NOT NULL, storage_type TEXT NOT NULL,
              content_type TEXT NOT NULL, expires TEXT NOT NULL, details TEXT NOT NULL, present INTEGER NOT NULL,
              PRIMARY KEY (task_id, run_id, name));
            CREATE INDEX IF NOT EXISTS artifacts_expires ON artifacts (expires);
            CREATE TABLE IF NOT EXISTS uploads (name TEXT PRIMARY KEY, details TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS blobs (blob_key TEXT PRIMARY KEY, content_type TEXT NOT NULL, length INTEGER NOT NULL, content_encoding TEXT);
            CREATE TABLE IF NOT EXISTS workers (worker_key TEXT PRIMARY KEY, details TEXT NOT NULL);
            """);

        // Data folders from before blobs kept their Content-Encoding: their blobs were all stored as is.
        if (Scalar<long>("SELECT COUNT(*) FROM pragma_table_info('blobs') WHERE name = 'content_encoding'") == 0)
        {
            Execute("ALTER TABLE blobs ADD COLUMN content_encoding TEXT");
        }

        CreateIndexTables();
    }

    private SqliteTransaction? transaction;

    /// <summary>Starts the transaction every following command joins until it is committed or disposed.</summary>
    public Transaction Begin()
    {
        transaction = connection.BeginTransaction();
        return new Transaction(this);
    }

    public string? GetMeta(string key) => Scalar<string>("SELECT value FROM meta WHERE key = $a", key);

    public void SetMeta(string key, string value) => Execute("INSERT OR REPLACE INTO meta (key, value) VALUES ($a, $b)", key, value);

    public long MaxSeq() => Scalar<long?>("SELECT MAX(seq) FROM tasks") ?? 0;

    public TaskEntry? GetTask(string taskId)
    {
        using var command = Command("SELECT definition, status FROM tasks WHERE task_id = $a", taskId);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new TaskEntry(taskId, QueueJson.ParseObject(reader.GetString(0)), QueueJson.ParseObject(reader.GetString(1)))
            : null;
    }

    public void InsertTask(TaskEntry task, int priority, long seq, IEnumerable<string> dependencies)
    {
        Execute(
            "INSERT INTO tasks (task_id, queue, definition, status, pending, prio, seq, deadline, taken_until, active, expires) VALUES ($a, $b, $c, $d, 0, $e, $f, $g, NULL, 1, $h)",
            task.TaskId, task.TaskQueueId, QueueJson.Compact(task.Task), QueueJson.Compact(task.Status), priority, seq, task.Deadline.ToUnixTimeMilliseconds(), task.Expires.ToUnixTimeMilliseconds());
        foreach (var dependency in dependencies.Distinct())
        {
            Execute("INSERT OR IGNORE INTO deps (task_id, required_id) VALUES ($a, $b)", task.TaskId, dependency);
        }

        UpdateTask(task, seq);
    }

    /// <summary>Saves the status and recomputes the search columns from it; <paramref name="seq"/> orders pending tasks (null keeps it).</summary>
    public void UpdateTask(TaskEntry task, long? seq)
    {
        var state = task.State;
        object? takenUntil = state == "running" ? QueueJson.ParseDate(task.LastRun!["takenUntil"]).ToUnixTimeMilliseconds() : null;
        Execute(
            "UPDATE tasks SET status = $b, pending = $c, taken_until = $d, active = $e, seq = COALESCE($f, seq) WHERE task_id = $a",
            task.TaskId, QueueJson.Compact(task.Status), state == "pending" ? 1 : 0, takenUntil, task.IsResolved ? 0 : 1, seq);
    }

    public List<string> PendingTaskIds(string queue, int limit) =>
        Strings("SELECT task_id FROM tasks WHERE queue = $a AND pending = 1 ORDER BY prio DESC, seq LIMIT $b", queue, limit);

    public List<string> ExpiredClaims(long nowMs) => Strings("SELECT task_id FROM tasks WHERE taken_until IS NOT NULL AND taken_until <= $a", nowMs);

    public List<string> PastDeadline(long nowMs) => Strings("SELECT task_id FROM tasks WHERE active = 1 AND deadline <= $a", nowMs);

    /// <summary>Deletes the tasks and artifacts that expired before <paramref name="now"/>; returns the blob keys no longer referenced.</summary>
    public List<string> DeleteExpired(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var nowText = QueueJson.Date(now);
        const string Expired = "expires < $a OR task_id IN (SELECT task_id FROM tasks WHERE expires < $b)";
        var blobs = Strings($"SELECT json_extract(details, '$.blob') FROM artifacts WHERE json_extract(details, '$.blob') IS NOT NULL AND ({Expired})", nowText, nowMs);
        Execute($"DELETE FROM artifacts WHERE {Expired}", nowText, nowMs);
        Execute("DELETE FROM uploads WHERE json_extract(details, '$.expires') < $a", nowText);
        Execute("DELETE FROM deps WHERE task_id IN (SELECT task_id FROM tasks WHERE expires < $a)", nowMs);
        Execute("DELETE FROM tasks WHERE expires < $a", nowMs);
        DeleteExpiredIndexEntries(nowMs);
        foreach (var blob in blobs)
        {
            Execute("DELETE FROM blobs WHERE blob_key = $a", blob);
        }

        return blobs;
    }

    public List<string> Dependents(string taskId) => Strings("SELECT task_id FROM deps WHERE required_id = $a", taskId);

    public List<string> Dependencies(string taskId) => Strings("SELECT required_id FROM deps WHERE task_id = $a", taskId);

    public string? TaskState(string taskId) => Scalar<string>("SELECT json_extract(status, '$.state') FROM tasks WHERE task_id = $a", taskId);

    public ArtifactRow? GetArtifact(string taskId, int runId, string name)
    {
        using var command = Command("SELECT storage_type, content_type, expires, details, present FROM artifacts WHERE task_id = $a AND run_id = $b AND name = $c", taskId, runId, name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadArtifact(reader, taskId, runId, name, 0) : null;
    }

    public void SaveArtifact(ArtifactRow row) => Execute(
        "INSERT OR REPLACE INTO artifacts (task_id, run_id, name, storage_type, content_type, expires, details, present) VALUES ($a, $b, $c, $d, $e, $f, $g, $h)",
        row.TaskId, row.RunId, row.Name, row.StorageType, row.ContentType, row.Expires, QueueJson.Compact(row.Details), row.Present ? 1 : 0);

    public List<ArtifactRow> ListArtifacts(string taskId, int runId, string after, int limit)
    {
        using var command = Command("SELECT name, storage_type, content_type, expires, details, present FROM artifacts WHERE task_id = $a AND run_id = $b AND present = 1 AND name > $c ORDER BY name LIMIT $d", taskId, runId, after, limit);
        using var reader = command.ExecuteReader();
        var rows = new List<ArtifactRow>();
        while (reader.Read())
        {
            rows.Add(ReadArtifact(reader, taskId, runId, reader.GetString(0), 1));
        }

        return rows;
    }

    public JObject? GetDocument(string table, string key) =>
        Scalar<string>($"SELECT details FROM {Table(table)} WHERE {KeyColumn(table)} = $a", key) is { } text ? QueueJson.ParseObject(text) : null;

    public void SaveDocument(string table, string key, JObject details) =>
        Execute($"INSERT OR REPLACE INTO {Table(table)} ({KeyColumn(table)}, details) VALUES ($a, $b)", key, QueueJson.Compact(details));

    /// <summary>Records a stored blob; <paramref name="contentEncoding"/> is the Content-Encoding it was uploaded with, served back on download (null: none given).</summary>
    public void SaveBlob(string key, string contentType, long length, string? contentEncoding = null) =>
        Execute("INSERT OR REPLACE INTO blobs (blob_key, content_type, length, content_encoding) VALUES ($a, $b, $c, $d)", key, contentType, length, contentEncoding);

    public (string ContentType, long Length, string? ContentEncoding)? GetBlob(string key)
    {
        using var command = Command("SELECT content_type, length, content_encoding FROM blobs WHERE blob_key = $a", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)) : null;
    }

    internal void EndTransaction(bool commit)
    {
        if (transaction is null)
        {
            return;
        }

        if (commit)
        {
            transaction.Commit();
        }

        transaction.Dispose();
        transaction = null;
    }

    public void Dispose()
    {
        connection.Dispose();
    }

    private static string Table(string table) => table is "uploads" or "workers" ? table : throw new ArgumentException(table);

    private static string KeyColumn(string table) => table == "uploads" ? "name" : "worker_key";

    private static ArtifactRow ReadArtifact(SqliteDataReader reader, string taskId, int runId, string name, int offset) => new(
        taskId, runId, name, reader.GetString(offset), reader.GetString(offset + 1), reader.GetString(offset + 2),
        QueueJson.ParseObject(reader.GetString(offset + 3)), reader.GetInt64(offset + 4) == 1);

    private SqliteCommand Command(string sql, params object?[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("$" + (char)('a' + i), values[i] ?? DBNull.Value);
        }

        return command;
    }

    private void Execute(string sql, params object?[] values)
    {
        using var command = Command(sql, values);
        command.ExecuteNonQuery();
    }

    private T? Scalar<T>(string sql, params object?[] values)
    {
        using var command = Command(sql, values);
        var result = command.ExecuteScalar();
        return result is null or DBNull ? default : (T)Convert.ChangeType(result, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private List<string> Strings(string sql, params object?[] values)
    {
        using var command = Command(sql, values);
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }
}

/// <summary>The open transaction of a <see cref="QueueDatabase"/>; disposing without <see cref="Commit"/> rolls back.</summary>
internal readonly struct Transaction : IDisposable
{
    private readonly QueueDatabase database;

    public Transaction(QueueDatabase database) => this.database = database;

    public void Commit() => database.EndTransaction(commit: true);

    public void Dispose() => database.EndTransaction(commit: false);
}

/// <summary>One artifact of a run; <see cref="Details"/> holds the storage type's own fields.</summary>
internal sealed record ArtifactRow(string TaskId, int RunId, string Name, string StorageType, string ContentType, string Expires, JObject Details, bool Present);
