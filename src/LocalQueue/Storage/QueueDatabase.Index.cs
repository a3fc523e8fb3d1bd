using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;

namespace TcWorker.LocalQueue.Storage;

/// <summary>The index service's tables: one row per indexed task, one per namespace above them.</summary>
internal sealed partial class QueueDatabase
{
    /// <summary>Creates the index tables; data folders from before the index get them at their next start.</summary>
    private void CreateIndexTables() => Execute("""
        CREATE TABLE IF NOT EXISTS indexed_tasks (
          namespace TEXT NOT NULL, name TEXT NOT NULL, rank REAL NOT NULL, task_id TEXT NOT NULL,
          data TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (namespace, name));
        CREATE INDEX IF NOT EXISTS indexed_tasks_expires ON indexed_tasks (expires);
        CREATE TABLE IF NOT EXISTS index_namespaces (
          parent TEXT NOT NULL, name TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (parent, name));
        CREATE INDEX IF NOT EXISTS index_namespaces_expires ON index_namespaces (expires);
        """);

    public IndexedTaskRow? GetIndexedTask(string ns, string name)
    {
        using var command = Command("SELECT rank, task_id, data, expires FROM indexed_tasks WHERE namespace = $a AND name = $b", ns, name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadIndexedTask(reader, ns, name, 0) : null;
    }

    public void SaveIndexedTask(IndexedTaskRow row) => Execute(
        "INSERT OR REPLACE INTO indexed_tasks (namespace, name, rank, task_id, data, expires) VALUES ($a, $b, $c, $d, $e, $f)",
        row.Namespace, row.Name, row.Rank, row.TaskId, QueueJson.Compact(row.Data), row.Expires.ToUnixTimeMilliseconds());

    public void DeleteIndexedTask(string ns, string name) => Execute("DELETE FROM indexed_tasks WHERE namespace = $a AND name = $b", ns, name);

    /// <summary>Creates the namespace, or extends its expiry to <paramref name="expires"/> when that is later; never shortens it.</summary>
    public void EnsureIndexNamespace(string parent, string name, DateTimeOffset expires) => Execute(
        "INSERT INTO index_namespaces (parent, name, expires) VALUES ($a, $b, $c) ON CONFLICT (parent, name) DO UPDATE SET expires = MAX(expires, excluded.expires)",
        parent, name, expires.ToUnixTimeMilliseconds());

    /// <summary>The unexpired namespaces directly under <paramref name="parent"/> named after <paramref name="after"/>, by name.</summary>
    public List<IndexNamespaceRow> ListIndexNamespaces(string parent, string after, int limit, DateTimeOffset now)
    {
        using var command = Command("SELECT name, expires FROM index_namespaces WHERE parent = $a AND name > $b AND expires > $c ORDER BY name LIMIT $d", parent, after, now.ToUnixTimeMilliseconds(), limit);
        using var reader = command.ExecuteReader();
        var rows = new List<IndexNamespaceRow>();
        while (reader.Read())
        {
            rows.Add(new IndexNamespaceRow(parent, reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
        }

        return rows;
    }

    /// <summary>The unexpired tasks indexed directly in <paramref name="ns"/> named after <paramref name="after"/>, by name.</summary>
    public List<IndexedTaskRow> ListIndexedTasks(string ns, string after, int limit, DateTimeOffset now)
    {
        using var command = Command("SELECT name, rank, task_id, data, expires FROM indexed_tasks WHERE namespace = $a AND name > $b AND expires > $c ORDER BY name LIMIT $d", ns, after, now.ToUnixTimeMilliseconds(), limit);
        using var reader = command.ExecuteReader();
        var rows = new List<IndexedTaskRow>();
        while (reader.Read())
        {
            rows.Add(ReadIndexedTask(reader, ns, reader.GetString(0), 1));
        }

        return rows;
    }

    private void DeleteExpiredIndexEntries(long nowMs)
    {
        Execute("DELETE FROM indexed_tasks WHERE expires < $a", nowMs);
        Execute("DELETE FROM index_namespaces WHERE expires < $a", nowMs);
    }

    private static IndexedTaskRow ReadIndexedTask(SqliteDataReader reader, string ns, string name, int offset) => new(
        ns, name, reader.GetDouble(offset), reader.GetString(offset + 1), QueueJson.ParseObject(reader.GetString(offset + 2)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(offset + 3)));
}

/// <summary>A task in the index: <see cref="Name"/> inside <see cref="Namespace"/> (empty at the root).</summary>
internal sealed record IndexedTaskRow(string Namespace, string Name, double Rank, string TaskId, JObject Data, DateTimeOffset Expires);

/// <summary>A namespace of the index: <see cref="Name"/> inside <see cref="Parent"/> (empty at the root).</summary>
internal sealed record IndexNamespaceRow(string Parent, string Name, DateTimeOffset Expires);
