using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Env;

internal sealed class EnvTaskPlugin(
    ITaskContext task, IReadOnlyList<KeyValuePair<string, string>> extra, IReadOnlyList<KeyValuePair<string, string>> env) : ITaskPlugin
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

        Set("TASK_ID", task.TaskId, "the worker");
        Set("RUN_ID", task.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), "the worker");
        Set("TASKCLUSTER_ROOT_URL", task.RootUrl, "the worker");
        if (builder.WorkingDirectory is { } workingDirectory)
        {
            Set("TASK_WORKDIR", workingDirectory, "the worker");
        }

        foreach (var (name, value) in extra)
        {
            Set(name, value, "the worker's env config");
        }

        foreach (var (name, value) in env)
        {
            Set(name, value, "the task's env");
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
}
