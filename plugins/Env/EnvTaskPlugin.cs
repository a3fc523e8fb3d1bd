using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Env;

internal sealed class EnvTaskPlugin(
    ITaskContext task, EnvSettings settings, IReadOnlyList<KeyValuePair<string, string>> env) : ITaskPlugin
{
    public Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        // Later sources win; each name is set on the builder once, in the order it first appeared.
        var values = new Dictionary<string, (string Value, string Source)>(StringComparer.Ordinal);
        var order = new List<string>();
        void Set(string name, string value, string source)
        {
            if (!values.ContainsKey(name))
            {
                order.Add(name);
            }

            values[name] = (value, source);
        }

        foreach (var (name, value) in settings.Extra)
        {
            Set(name, value, "the worker's env config");
        }

        foreach (var (name, value) in env)
        {
            Set(name, value, "the task's env");
        }

        // The variables the worker forces come last, so the task cannot change them, as in generic-worker.
        var overridden = new List<string>();
        foreach (var (name, value) in ForcedVariables(builder))
        {
            if (values.TryGetValue(name, out var earlier) && earlier.Value != value && earlier.Source == "the task's env")
            {
                overridden.Add(name);
            }

            Set(name, value, "the worker");
        }

        if (overridden.Count > 0)
        {
            task.Log.WriteLine($"The worker sets {string.Join(", ", overridden)} itself; the value in the task's env is not used");
        }

        var conflicts = new List<string>();
        foreach (var name in order)
        {
            var (value, source) = values[name];
            try
            {
                builder.SetEnvironmentVariable(name, value);
            }
            catch (NamingConflictException)
            {
                conflicts.Add($"The environment variable '{name}' from {source} is also set by another plugin");
            }
            catch (FeatureNotSupportedException) when (env.Count == 0)
            {
                // An engine without environment variables: fine, unless the task asks for some.
                return Task.CompletedTask;
            }
            catch (FeatureNotSupportedException)
            {
                throw new MalformedPayloadException("$.env: this worker's engine does not support environment variables");
            }
        }

        return conflicts.Count > 0 ? Task.FromException(new MalformedPayloadException(conflicts)) : Task.CompletedTask;
    }

    private IEnumerable<KeyValuePair<string, string>> ForcedVariables(ISandboxBuilder builder)
    {
        yield return KeyValuePair.Create("TASK_ID", task.TaskId);
        yield return KeyValuePair.Create("RUN_ID", task.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (builder.WorkingDirectory is { } workingDirectory)
        {
            yield return KeyValuePair.Create("TASK_WORKDIR", workingDirectory);
        }

        if (task.Task["taskGroupId"]?.Type == Newtonsoft.Json.Linq.JTokenType.String && task.Task.Value<string>("taskGroupId") is { Length: > 0 } group)
        {
            yield return KeyValuePair.Create("TASK_GROUP_ID", group);
        }

        yield return KeyValuePair.Create("TASKCLUSTER_ROOT_URL", task.RootUrl);
        if (settings.WorkerLocation is { } location)
        {
            yield return KeyValuePair.Create("TASKCLUSTER_WORKER_LOCATION", location);
        }

        if (settings.InstanceType is { } instanceType)
        {
            yield return KeyValuePair.Create("TASKCLUSTER_INSTANCE_TYPE", instanceType);
        }
    }
}

/// <summary>The env plugin's config: extra variables, and the facts about the worker's host it hands to tasks.</summary>
internal sealed record EnvSettings(IReadOnlyList<KeyValuePair<string, string>> Extra, string? WorkerLocation, string? InstanceType);
