using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;

namespace TcWorker.LocalQueue.Storage;

/// <summary>What a task list filters by; a null member does not filter.</summary>
internal sealed record TaskFilter(string? TaskQueueId = null, string? State = null, string? TaskGroupId = null);

/// <summary>Listings of tasks, task queues and workers, for listTaskGroup, listTaskQueues, listWorkers and the local-only task list.</summary>
internal sealed partial class QueueDatabase
{
    /// <summary>
    /// Up to <paramref name="limit"/> tasks matching <paramref name="filter"/>, with the position to
    /// continue from: newest first below <paramref name="before"/> (null: from the newest), or, when
    /// <paramref name="oldestFirst"/>, oldest first above it (null: from the oldest).
    /// </summary>
    public List<(long Position, TaskEntry Task)> ListTasks(TaskFilter filter, long? before, int limit, bool oldestFirst = false)
    {
        var order = oldestFirst ? "rowid > $d ORDER BY rowid" : "rowid < $d ORDER BY rowid DESC";
        using var command = Command(
            $"""
            SELECT rowid, task_id, definition, status FROM tasks
            WHERE ($a IS NULL OR queue = $a) AND ($b IS NULL OR json_extract(status, '$.state') = $b)
              AND ($c IS NULL OR json_extract(definition, '$.taskGroupId') = $c) AND {order} LIMIT $e
            """,
            filter.TaskQueueId, filter.State, filter.TaskGroupId, before ?? (oldestFirst ? 0 : long.MaxValue), limit);
        using var reader = command.ExecuteReader();
        var tasks = new List<(long, TaskEntry)>();
        while (reader.Read())
        {
            tasks.Add((reader.GetInt64(0), new TaskEntry(reader.GetString(1), QueueJson.ParseObject(reader.GetString(2)), QueueJson.ParseObject(reader.GetString(3)))));
        }

        return tasks;
    }

    /// <summary>Every task queue that has a task or a worker, in order, after <paramref name="after"/>.</summary>
    public List<string> TaskQueueIds(string after, int limit) => Strings(
        """
        SELECT id FROM (SELECT queue AS id FROM tasks UNION SELECT json_extract(details, '$.taskQueueId') FROM workers)
        WHERE id > $a ORDER BY id LIMIT $b
        """,
        after, limit);

    /// <summary>When a worker of the queue was last seen; null when none was.</summary>
    public string? TaskQueueLastActive(string taskQueueId) =>
        Scalar<string>("SELECT MAX(json_extract(details, '$.lastDateActive')) FROM workers WHERE json_extract(details, '$.taskQueueId') = $a", taskQueueId);

    /// <summary>The workers of a task queue, ordered by their key, after <paramref name="after"/>.</summary>
    public List<(string Key, JObject Worker)> ListWorkers(string taskQueueId, string after, int limit)
    {
        using var command = Command(
            "SELECT worker_key, details FROM workers WHERE json_extract(details, '$.taskQueueId') = $a AND worker_key > $b ORDER BY worker_key LIMIT $c",
            taskQueueId, after, limit);
        using var reader = command.ExecuteReader();
        var workers = new List<(string, JObject)>();
        while (reader.Read())
        {
            workers.Add((reader.GetString(0), QueueJson.ParseObject(reader.GetString(1))));
        }

        return workers;
    }
}
