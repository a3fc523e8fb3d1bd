using Newtonsoft.Json.Linq;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Artifacts;

/// <summary>
/// docker-worker's <c>artifacts</c>: an object keyed by artifact name, each <c>{type, path, expires}</c>,
/// with <c>features.artifacts</c> to turn uploads off. Read as d2g reads them: every entry is optional
/// (a missing path leaves an error artifact and a log line, but does not fail the task), and a
/// <c>volume</c> is a folder that exists, empty, when the task starts.
/// </summary>
internal static class DockerWorkerArtifacts
{
    public static JObject Schema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "artifacts": {
              "type": "object",
              "description": "Files and folders to upload when the task ends (docker-worker's shape): artifact name to {type, path, expires}. A missing path leaves an error artifact and a line in the log, and does not fail the task.",
              "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "path"],
                "properties": {
                  "type": { "enum": ["file", "directory", "volume"], "description": "file, directory (each file under it uploads as name/relative/path), or volume: a directory that exists, empty, when the task starts, uploaded as a directory." },
                  "path": { "type": "string", "description": "In the container: an absolute path, or one relative to the working directory." },
                  "expires": { "type": "string", "format": "date-time", "description": "Default: the task's expiry, which it may not exceed." }
                }
              }
            },
            "features": {
              "type": "object",
              "properties": {
                "artifacts": { "type": "boolean", "default": true, "description": "false uploads none of the payload's artifacts. (d2g also leaves out the live log and the task log; this worker still uploads the task log.)" }
              }
            }
          }
        }
        """);

    public static List<ArtifactEntry> Parse(JObject named, ITaskContext task, List<string> problems)
    {
        var entries = new List<ArtifactEntry>();
        foreach (var (name, value) in named)
        {
            var item = (JObject)value!;
            var where = $"$.artifacts['{name}']";
            var path = item.Value<string>("path") ?? string.Empty;
            var type = item.Value<string>("type");
            if (path.Length == 0)
            {
                problems.Add($"{where}.path: must name a file or folder in the container");
            }

            if (!ArtifactNames.IsValid(name))
            {
                problems.Add($"{where}: {ArtifactNames.Quote(name)} is not a valid artifact name: {ArtifactNames.Rule}");
            }

            var expires = ArtifactsPlugin.Expires(item["expires"], task, where, problems);
            entries.Add(new ArtifactEntry(type != "file", path, name, expires, null, null, Optional: true, Volume: type == "volume"));
        }

        return entries;
    }
}
