using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Index;

/// <summary>
/// The index service's rules: index paths (dot-separated keys of <c>[a-zA-Z0-9_!~*'()%-]</c>, at
/// most 255 characters), ranks (an equal or higher rank replaces the task at a path, a lower one
/// leaves it), the namespaces above each path, and indexing a completed task under its
/// <c>index.&lt;path&gt;</c> routes. Every method that takes a <see cref="QueueDatabase"/> runs
/// inside <see cref="QueueStore.RunAsync{T}"/>.
/// </summary>
internal static partial class TaskIndex
{
    /// <summary>The longest index path: the index's responses allow no longer <c>namespace</c>.</summary>
    public const int MaxPathLength = 255;

    /// <summary>Task routes starting with this are index paths to index the task under when it completes.</summary>
    public const string RoutePrefix = "index.";

    /// <summary>True when <paramref name="path"/> is a non-empty index path.</summary>
    public static bool IsValidPath(string path) => path.Length <= MaxPathLength && PathPattern().IsMatch(path);

    /// <summary>
    /// The route parameter <paramref name="parameter"/> as an index path (empty allowed when
    /// <paramref name="allowRoot"/>, for the root namespace); 400 InvalidRequestArguments otherwise.
    /// </summary>
    public static string CheckParameter(ApiRequest request, string parameter, bool allowRoot = false)
    {
        var value = request[parameter];
        if ((allowRoot && value.Length == 0) || IsValidPath(value))
        {
            return value;
        }

        throw QueueError.Arguments(
            $"Invalid URL patterns:\nURL parameter '{parameter}' given as {Taskcluster.TaskclusterIdentifiers.Quote(value)} must be dot-separated keys " +
            $"matching [a-zA-Z0-9_!~*'()%-]+ (no empty key, no slash), at most {MaxPathLength.ToString(CultureInfo.InvariantCulture)} characters in all");
    }

    /// <summary>An index path split into its namespace (empty for a path without a dot) and its last key.</summary>
    public static (string Namespace, string Name) Split(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? (string.Empty, path) : (path[..dot], path[(dot + 1)..]);
    }

    /// <summary>The full path of <paramref name="name"/> inside <paramref name="ns"/>.</summary>
    public static string Join(string ns, string name) => ns.Length == 0 || name.Length == 0 ? ns + name : ns + "." + name;

    /// <summary>
    /// Indexes <paramref name="taskId"/> at <paramref name="path"/> unless an unexpired task with a
    /// higher rank is there; returns the task at the path afterwards (the existing one when it won).
    /// </summary>
    public static IndexedTaskRow Insert(QueueDatabase db, string path, string taskId, double rank, JObject data, DateTimeOffset expires, DateTimeOffset now)
    {
        var (ns, name) = Split(path);
        if (db.GetIndexedTask(ns, name) is { } existing && existing.Expires > now && existing.Rank > rank)
        {
            return existing;
        }

        var row = new IndexedTaskRow(ns, name, rank, taskId, data, expires);
        db.SaveIndexedTask(row);

        // Namespaces live until the end of the day their latest task expires (UTC), so most inserts leave them as they are.
        var day = expires.UtcDateTime.Date;
        var namespaceExpires = day < DateTime.MaxValue.Date ? new DateTimeOffset(day.AddDays(1), TimeSpan.Zero) : DateTimeOffset.MaxValue;
        for (var prefix = ns; prefix.Length > 0;)
        {
            var (parent, key) = Split(prefix);
            db.EnsureIndexNamespace(parent, key, namespaceExpires);
            prefix = parent;
        }

        return row;
    }

    /// <summary>
    /// Indexes a task that has just completed under each valid path of its <c>index.</c> routes, with
    /// <c>task.extra.index.rank</c> (0), <c>.data</c> (<c>{}</c>) and <c>.expires</c> (the task's
    /// expires). As the real index, a rank that is not a number, data that is not an object or an
    /// expires that is not a date leave the task unindexed, and invalid paths are skipped.
    /// </summary>
    /// <returns>The paths the task was offered to (a lower rank may have left another task there).</returns>
    public static List<string> IndexCompleted(QueueDatabase db, TaskEntry task, DateTimeOffset now)
    {
        var paths = task.Task["routes"]!.Values<string>()
            .OfType<string>()
            .Where(r => r.StartsWith(RoutePrefix, StringComparison.Ordinal))
            .Select(r => r[RoutePrefix.Length..])
            .Where(IsValidPath)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (paths.Count == 0)
        {
            return paths;
        }

        var options = task.Task["extra"]?["index"] as JObject ?? [];
        var rank = options["rank"] is { } r ? Number(r) : 0;
        var data = options["data"] is { } d ? d as JObject : [];
        var expires = task.Expires;
        if (options["expires"] is { } e && !QueueJson.TryParseDate(e, out expires))
        {
            return [];
        }

        if (rank is not { } validRank || data is null)
        {
            return [];
        }

        foreach (var path in paths)
        {
            Insert(db, path, task.TaskId, validRank, data, expires, now);
        }

        return paths;
    }

    /// <summary>A JSON number as a double; null for anything else.</summary>
    public static double? Number(JToken token) => (token as JValue)?.Value switch
    {
        System.Numerics.BigInteger big => (double)big,
        long or decimal or double => Convert.ToDouble(((JValue)token).Value, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The indexed-task structure of the API (indexed-task-response, and each item of list-tasks-response).</summary>
    public static JObject ToJson(IndexedTaskRow row) => new()
    {
        ["namespace"] = Join(row.Namespace, row.Name),
        ["taskId"] = row.TaskId,
        ["rank"] = RankJson(row.Rank),
        ["data"] = row.Data.DeepClone(),
        ["expires"] = QueueJson.Date(row.Expires),
    };

    /// <summary>One item of list-namespaces-response.</summary>
    public static JObject ToJson(IndexNamespaceRow row) => new()
    {
        ["namespace"] = Join(row.Parent, row.Name),
        ["name"] = row.Name,
        ["expires"] = QueueJson.Date(row.Expires),
    };

    /// <summary>Whole ranks are written as integers (as JavaScript writes them), others as decimals.</summary>
    private static JValue RankJson(double rank) =>
        Math.Abs(rank) <= 9007199254740992d && rank == Math.Floor(rank) ? new JValue((long)rank) : new JValue(rank);

    [GeneratedRegex("^([a-zA-Z0-9_!~*'()%-]+\\.)*[a-zA-Z0-9_!~*'()%-]+\\z")]
    private static partial Regex PathPattern();
}
