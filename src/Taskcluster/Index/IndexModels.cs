using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>A task in the index (findTask, insertTask, and each item of listTasks).</summary>
public sealed class IndexedTask
{
    /// <summary>The task's index path, e.g. <c>project.app.latest.linux64</c>.</summary>
    [JsonProperty("namespace")]
    public string Namespace { get; init; } = string.Empty;

    /// <summary>The indexed task.</summary>
    [JsonProperty("taskId")]
    public string TaskId { get; init; } = string.Empty;

    /// <summary>Its rank: a later task with an equal or higher rank replaces it at the path.</summary>
    [JsonProperty("rank")]
    public double Rank { get; init; }

    /// <summary>The data indexed with the task (any JSON object).</summary>
    [JsonProperty("data")]
    public JObject Data { get; init; } = [];

    /// <summary>When the entry leaves the index.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }
}

/// <summary>Body of insertTask.</summary>
public sealed class InsertTaskRequest
{
    /// <summary>The task to index.</summary>
    [JsonProperty("taskId")]
    public required string TaskId { get; init; }

    /// <summary>Its rank (0 by default): it replaces a task of an equal or lower rank at the path, and leaves one of a higher rank.</summary>
    [JsonProperty("rank")]
    public double Rank { get; init; }

    /// <summary>Data to keep with the entry (an empty object by default).</summary>
    [JsonProperty("data")]
    public JObject Data { get; init; } = [];

    /// <summary>When the entry leaves the index.</summary>
    [JsonProperty("expires")]
    public required DateTimeOffset Expires { get; init; }
}

/// <summary>A namespace of the index (each item of listNamespaces).</summary>
public sealed class IndexNamespace
{
    /// <summary>The namespace's full path, to list what is below it.</summary>
    [JsonProperty("namespace")]
    public string Namespace { get; init; } = string.Empty;

    /// <summary>Its last key: its name inside its parent.</summary>
    [JsonProperty("name")]
    public string Name { get; init; } = string.Empty;

    /// <summary>When the namespace, and with it everything below it, leaves the index.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }
}

/// <summary>Response of listNamespaces: one page.</summary>
public sealed class ListNamespacesResponse
{
    /// <summary>The namespaces directly below the one listed.</summary>
    [JsonProperty("namespaces")]
    public List<IndexNamespace> Namespaces { get; init; } = [];

    /// <summary>Set when more follow: pass it to the next call.</summary>
    [JsonProperty("continuationToken")]
    public string? ContinuationToken { get; init; }
}

/// <summary>Response of listTasks: one page.</summary>
public sealed class ListIndexedTasksResponse
{
    /// <summary>The tasks indexed directly in the namespace listed.</summary>
    [JsonProperty("tasks")]
    public List<IndexedTask> Tasks { get; init; } = [];

    /// <summary>Set when more follow: pass it to the next call.</summary>
    [JsonProperty("continuationToken")]
    public string? ContinuationToken { get; init; }
}
