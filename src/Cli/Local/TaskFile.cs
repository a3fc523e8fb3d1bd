using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Cli.Local;

/// <summary>
/// A task file for <c>run</c> and <c>local</c>: a full task definition (it has a <c>payload</c> key)
/// or just a payload, in YAML or JSON. Missing fields of the definition are filled in for the local
/// queue: the worker pool, times, metadata.
/// </summary>
internal static class TaskFile
{
    public static JObject Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.NoInput, $"the task file {Path.GetFullPath(path)} does not exist");
        }

        JToken document;
        try
        {
            document = JsonDocumentReader.ReadFile(path);
        }
        catch (ConfigException e)
        {
            throw new CliException(ExitCodes.DataError, e.Message.Replace("The worker config", "The task file", StringComparison.Ordinal));
        }

        if (document is not JObject obj)
        {
            throw new CliException(ExitCodes.DataError, $"the task file {path} must hold an object: a task definition with a payload, or a payload");
        }

        return obj.ContainsKey("payload") ? obj : new JObject { ["payload"] = obj };
    }

    /// <summary>Fills what the author left out, for a task the local queue will accept.</summary>
    public static JObject Complete(JObject task, string workerPoolId, string source, DateTimeOffset now)
    {
        var result = (JObject)task.DeepClone();
        var pool = workerPoolId.Split('/', 2);
        if (result["taskQueueId"] is null && result["provisionerId"] is null && result["workerType"] is null)
        {
            result["provisionerId"] = pool[0];
            result["workerType"] = pool[1];
        }

        result["created"] = Time(now);
        result["deadline"] ??= Time(now.AddHours(1));
        result["expires"] ??= Time(DateTimeOffset.Parse((string)result["deadline"]!, System.Globalization.CultureInfo.InvariantCulture).AddDays(7));
        result["retries"] ??= 0;
        result["scopes"] ??= new JArray();
        var metadata = result["metadata"] as JObject ?? [];
        metadata["name"] ??= Path.GetFileName(source);
        metadata["description"] ??= $"Task from {Path.GetFileName(source)}, run by tc-worker";
        metadata["owner"] ??= "tc-worker@localhost";
        metadata["source"] ??= new Uri(Path.GetFullPath(source)).AbsoluteUri;
        result["metadata"] = metadata;
        return result;
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
