using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Native;

/// <summary>
/// The keys of generic-worker's native payload that concern who a task runs as and what the host gives
/// it: <c>osGroups</c>, <c>supersederUrl</c> and the features <c>runTaskAsCurrentUser</c>,
/// <c>resourceMonitor</c>, <c>loopbackVideo</c> and <c>loopbackAudio</c>. Checked before anything of
/// the task runs, so a payload is refused whole or not at all.
/// </summary>
internal sealed partial class GenericWorkerPayload
{
    private GenericWorkerPayload(IReadOnlyList<string> osGroups, bool runAsCurrentUser, bool resourceMonitor)
    {
        OsGroups = osGroups;
        RunAsCurrentUser = runAsCurrentUser;
        ResourceMonitor = resourceMonitor;
    }

    /// <summary>The groups the task user is to be a member of.</summary>
    public IReadOnlyList<string> OsGroups { get; }

    /// <summary>Whether the task runs as the worker's own user, not a task user.</summary>
    public bool RunAsCurrentUser { get; }

    /// <summary>Whether the resource monitor watches the task's commands.</summary>
    public bool ResourceMonitor { get; }

    /// <summary>The engine's share of the payload schema for these keys.</summary>
    public static JObject Schema() => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "osGroups": {
              "type": "array",
              "uniqueItems": true,
              "items": { "type": "string" },
              "description": "Groups of the host the task user is added to (needs createUser, and the scope generic-worker:os-group:<provisionerId>/<workerType>/<group> for each). A group the host does not have is a malformed payload."
            },
            "supersederUrl": {
              "type": "string",
              "description": "Accepted for compatibility with generic-worker, and ignored."
            },
            "features": {
              "type": "object",
              "properties": {
                "runTaskAsCurrentUser": {
                  "type": "boolean",
                  "default": false,
                  "description": "Runs the commands as the worker's own user (usually root) instead of a task user. Needs the scope generic-worker:run-task-as-current-user:<provisionerId>/<workerType>."
                },
                "resourceMonitor": {
                  "type": "boolean",
                  "default": true,
                  "description": "Reports the host's memory use in the task log after each command, and aborts a command when memory stays short longer than the worker allows (see the native engine's config); the task then fails."
                },
                "loopbackVideo": {
                  "type": "boolean",
                  "default": false,
                  "description": "A loopback video device. This worker does not offer it: true is a malformed payload."
                },
                "loopbackAudio": {
                  "type": "boolean",
                  "default": false,
                  "description": "A loopback audio device. This worker does not offer it: true is a malformed payload."
                }
              }
            }
          }
        }
        """);

    /// <summary>
    /// Reads and checks the keys: scopes, features this worker lacks, and groups the host does not have.
    /// Throws <see cref="MalformedPayloadException"/> listing every problem.
    /// </summary>
    public static async Task<GenericWorkerPayload> ReadAsync(JObject payload, ITaskContext task, WorkerIdentity worker, bool createUser, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var features = payload["features"] as JObject;
        bool Feature(string name, bool defaultValue) => features?[name]?.Type == JTokenType.Boolean ? features.Value<bool>(name) : defaultValue;
        foreach (var (name, what) in new[] { ("loopbackVideo", "loopback video device"), ("loopbackAudio", "loopback audio device") })
        {
            if (Feature(name, false))
            {
                problems.Add($"$.features.{name}: this worker does not offer a {what} (the feature needs a kernel module and device set-up that the native engine does not do); run the task on a pool that offers it");
            }
        }

        var asCurrentUser = Feature("runTaskAsCurrentUser", false);
        var pool = worker.WorkerPoolId;
        if (asCurrentUser && !task.HasScopes([$"generic-worker:run-task-as-current-user:{pool}"]))
        {
            problems.Add($"$.features.runTaskAsCurrentUser: the task needs the scope generic-worker:run-task-as-current-user:{pool} to run as the worker's own user");
        }

        // The chain of trust key is readable by the worker's own user: a task running as that user could forge certificates.
        if (asCurrentUser && task.Task["payload"]?["features"]?["chainOfTrust"] is JValue { Type: JTokenType.Boolean } chainOfTrust && chainOfTrust.Value<bool>())
        {
            problems.Add("$.features.runTaskAsCurrentUser: cannot be combined with features.chainOfTrust: the task would run as the worker's own user, who can read the signing key and forge certificates");
        }

        var groups = payload["osGroups"] is JArray list ? list.Values<string>().OfType<string>().ToList() : [];
        var valid = new List<string>();
        foreach (var group in groups)
        {
            if (!GroupName().IsMatch(group))
            {
                problems.Add($"$.osGroups: '{group}' is not a group name (letters, digits, '_', '.', '-', not starting with '-')");
            }
            else if (!task.HasScopes([$"generic-worker:os-group:{pool}/{group}"]))
            {
                problems.Add($"$.osGroups: the group '{group}' needs the scope generic-worker:os-group:{pool}/{group}");
            }
            else
            {
                valid.Add(group);
            }
        }

        if (valid.Count > 0)
        {
            problems.AddRange(await CheckGroupsAsync(valid, createUser && !asCurrentUser, cancellationToken).ConfigureAwait(false));
        }

        return problems.Count > 0
            ? throw new MalformedPayloadException(problems)
            : new GenericWorkerPayload(groups, asCurrentUser, Feature("resourceMonitor", true));
    }

    private static async Task<List<string>> CheckGroupsAsync(List<string> groups, bool taskUser, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            problems.Add("$.osGroups: this worker adds task users to groups on Linux only");
            return problems;
        }

        if (!taskUser)
        {
            // As generic-worker's insecure engine: the worker's own user cannot join groups per task, but may already be in them.
            var (exitCode, output) = await Tool.RunAsync("id", ["-Gn"], cancellationToken).ConfigureAwait(false);
            var mine = exitCode == 0 ? output.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : [];
            problems.AddRange(groups.Where(g => !mine.Contains(g)).Select(g =>
                $"$.osGroups: the task runs as the worker's own user (the native engine's createUser is off, or runTaskAsCurrentUser is on), which is not in the group '{g}' and cannot be added to it for one task"));
            return problems;
        }

        foreach (var group in groups)
        {
            var (exitCode, _) = await Tool.RunAsync("getent", ["group", group], cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                problems.Add($"$.osGroups: the group '{group}' does not exist on this worker's host");
            }
        }

        return problems;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex GroupName();
}
