using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Http;

namespace TcWorker.LocalQueue.Model;

/// <summary>Checks a createTask body the way the queue's schema and handler do, and fills in the defaults.</summary>
internal static partial class TaskDefinition
{
    public static readonly string[] Priorities = ["highest", "very-high", "high", "medium", "low", "very-low", "lowest"];

    private static readonly TimeSpan Drift = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(5);

    /// <summary>The rank of a priority: higher is claimed first.</summary>
    public static int Rank(string priority) => Priorities.Length - Array.IndexOf(Priorities, priority);

    /// <summary>The priorities at or above <paramref name="priority"/>, each of whose create-task scopes allows creating it.</summary>
    public static string[] AtOrAbove(string priority) => Priorities.Take(Array.IndexOf(Priorities, priority) + 1).ToArray();

    public static JObject Normalize(string taskId, JObject body, DateTimeOffset now)
    {
        var errors = new List<string>();
        var task = new JObject();
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            "provisionerId", "workerType", "taskQueueId", "schedulerId", "projectId", "taskGroupId", "dependencies", "requires", "routes",
            "priority", "retries", "created", "deadline", "expires", "scopes", "payload", "metadata", "tags", "extra",
        };
        foreach (var property in body.Properties().Where(p => !allowed.Contains(p.Name)))
        {
            errors.Add($"data must NOT have additional properties: {property.Name}");
        }

        var provisionerId = OptionalString(body, "provisionerId", ProvisionerPattern(), errors);
        var workerType = OptionalString(body, "workerType", WorkerTypePattern(), errors);
        var taskQueueId = OptionalString(body, "taskQueueId", TaskQueuePattern(), errors);
        if (taskQueueId is null && (provisionerId is null || workerType is null))
        {
            errors.Add("data must have taskQueueId, or provisionerId and workerType");
        }
        else if (taskQueueId is not null && provisionerId is not null && workerType is not null && taskQueueId != provisionerId + "/" + workerType)
        {
            throw QueueError.Input($"taskQueueId {taskQueueId} does not match provisionerId/workerType {provisionerId}/{workerType}");
        }

        taskQueueId ??= provisionerId + "/" + workerType;
        var slash = taskQueueId.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            provisionerId = taskQueueId[..slash];
            workerType = taskQueueId[(slash + 1)..];
        }

        task["provisionerId"] = provisionerId;
        task["workerType"] = workerType;
        task["taskQueueId"] = taskQueueId;
        task["schedulerId"] = OptionalString(body, "schedulerId", IdentifierPattern(), errors) ?? "-";
        task["projectId"] = OptionalString(body, "projectId", ProjectPattern(), errors) ?? "none";
        task["taskGroupId"] = OptionalString(body, "taskGroupId", SlugPattern(), errors) ?? taskId;
        task["dependencies"] = StringArray(body, "dependencies", SlugPattern(), errors);
        var requires = OptionalString(body, "requires", null, errors) ?? "all-completed";
        if (requires is not ("all-completed" or "all-resolved"))
        {
            errors.Add("data/requires must be equal to one of the allowed values");
        }

        task["requires"] = requires;
        task["routes"] = StringArray(body, "routes", null, errors);
        var priority = OptionalString(body, "priority", null, errors) ?? "lowest";
        if (!Priorities.Contains(priority))
        {
            errors.Add("data/priority must be equal to one of the allowed values");
        }

        task["priority"] = priority;
        var retries = body["retries"] ?? 5;
        if (retries.Type != JTokenType.Integer || (long)retries < 0 || (long)retries > 49)
        {
            errors.Add("data/retries must be an integer from 0 to 49");
        }

        task["retries"] = retries;
        var created = RequiredDate(body, "created", errors);
        var deadline = RequiredDate(body, "deadline", errors);
        DateTimeOffset? expires = body["expires"] is null ? null : RequiredDate(body, "expires", errors);
        task["scopes"] = StringArray(body, "scopes", ScopePattern(), errors);
        foreach (var scope in task["scopes"]!.Values<string>().Where(s => s!.EndsWith("**", StringComparison.Ordinal)))
        {
            errors.Add($"data/scopes: scope {Taskcluster.TaskclusterIdentifiers.Quote(scope)} ends in more than one `*`, which is forbidden");
        }
        if (body["payload"] is not JObject payload)
        {
            errors.Add("data must have required property 'payload' (an object)");
            payload = [];
        }

        Metadata(body, errors);
        task["payload"] = payload;
        task["metadata"] = body["metadata"];
        task["tags"] = body["tags"] as JObject ?? [];
        task["extra"] = body["extra"] as JObject ?? [];
        if (body["tags"] is { } tags && tags is not JObject || body["extra"] is { } extra && extra is not JObject)
        {
            errors.Add("data/tags and data/extra must be objects");
        }

        if (errors.Count > 0)
        {
            throw QueueError.Validation("Schema Validation Failed!\n" + string.Join("\n", errors));
        }

        if (created is { } c && (c < now - Drift || c > now + Drift))
        {
            throw QueueError.Input("Created timestamp cannot be in the future (max 15 min drift) or in the past (max 15 min drift)");
        }

        if (deadline is { } d)
        {
            if (d > now + MaxDeadline + Drift)
            {
                throw QueueError.Input("Deadline cannot be more than 5 days into the future");
            }

            if (d < created)
            {
                throw QueueError.Input("Deadline cannot be before created");
            }

            expires ??= d.AddYears(1);
            if (expires < d)
            {
                throw QueueError.Input("Expires cannot be before the deadline");
            }
        }

        task["created"] = QueueJson.Date(created!.Value);
        task["deadline"] = QueueJson.Date(deadline!.Value);
        task["expires"] = QueueJson.Date(expires!.Value);
        return task;
    }

    public static JObject NewStatus(string taskId, JObject task) => new()
    {
        ["taskId"] = taskId,
        ["provisionerId"] = task["provisionerId"],
        ["workerType"] = task["workerType"],
        ["taskQueueId"] = task["taskQueueId"],
        ["schedulerId"] = task["schedulerId"],
        ["projectId"] = task["projectId"],
        ["taskGroupId"] = task["taskGroupId"],
        ["deadline"] = task["deadline"],
        ["expires"] = task["expires"],
        ["retriesLeft"] = task["retries"],
        ["state"] = "unscheduled",
        ["runs"] = new JArray(),
    };

    public static void CheckSlug(string name, string value)
    {
        if (!SlugPattern().IsMatch(value))
        {
            throw QueueError.Validation($"{name} `{value}` is not a valid slugid");
        }
    }

    public static void CheckIdentifier(string name, string value)
    {
        if (!IdentifierPattern().IsMatch(value))
        {
            throw QueueError.Validation($"{name} `{value}` must match ^[a-zA-Z0-9-_]{{1,38}}$");
        }
    }

    public static bool IsTaskQueueId(string value) => TaskQueuePattern().IsMatch(value);

    public static bool IsProjectId(string value) => ProjectPattern().IsMatch(value);

    private static void Metadata(JObject body, List<string> errors)
    {
        if (body["metadata"] is not JObject metadata)
        {
            errors.Add("data must have required property 'metadata'");
            return;
        }

        foreach (var key in new[] { "name", "description", "owner", "source" })
        {
            if (metadata[key] is not { Type: JTokenType.String })
            {
                errors.Add($"data/metadata must have required property '{key}' (a string)");
            }
        }
    }

    private static string? OptionalString(JObject body, string name, Regex? pattern, List<string> errors)
    {
        var token = body[name];
        if (token is null)
        {
            return null;
        }

        if (token.Type != JTokenType.String || (pattern is not null && !pattern.IsMatch((string)token!)))
        {
            errors.Add($"data/{name} must be a string matching {Describe(pattern)}");
            return null;
        }

        return (string)token!;
    }

    private static JArray StringArray(JObject body, string name, Regex? pattern, List<string> errors)
    {
        if (body[name] is null)
        {
            return [];
        }

        if (body[name] is not JArray array)
        {
            errors.Add($"data/{name} must be an array of strings");
            return [];
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (array[i].Type != JTokenType.String || (pattern is not null && !pattern.IsMatch((string)array[i]!)))
            {
                errors.Add($"data/{name}/{i} must be a string matching {Describe(pattern)}, not {Taskcluster.TaskclusterIdentifiers.Quote(array[i].Type == JTokenType.String ? (string)array[i]! : array[i].ToString(Newtonsoft.Json.Formatting.None))}");
                return [];
            }
        }

        return array;
    }

    /// <summary>A pattern as the schema writes it (the code anchors with \z, since $ also matches before a final newline).</summary>
    private static string Describe(Regex? pattern) => pattern?.ToString().Replace("\\z", "$", StringComparison.Ordinal) ?? "the schema";

    private static DateTimeOffset? RequiredDate(JObject body, string name, List<string> errors)
    {
        if (!QueueJson.TryParseDate(body[name], out var value))
        {
            errors.Add($"data must have required property '{name}' (a date-time string)");
            return null;
        }

        return value;
    }

    [GeneratedRegex("^[a-zA-Z0-9-_]{1,38}\\z")]
    private static partial Regex ProvisionerPattern();

    [GeneratedRegex("^[a-z]([-a-z0-9]{0,36}[a-z0-9])?\\z")]
    private static partial Regex WorkerTypePattern();

    [GeneratedRegex("^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?\\z")]
    private static partial Regex TaskQueuePattern();

    [GeneratedRegex("^[a-zA-Z0-9-_]{1,38}\\z")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^([a-zA-Z0-9._/-]*)\\z")]
    private static partial Regex ProjectPattern();

    /// <summary>The official scope pattern: printable ASCII (and empty).</summary>
    [GeneratedRegex("^[ -~]*\\z")]
    private static partial Regex ScopePattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]\\z")]
    private static partial Regex SlugPattern();
}
