using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Artifacts;

internal sealed class ArtifactsPlugin(int concurrency, BucketStore? bucket, string? temporaryFolder) : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "artifacts": {
              "type": "array",
              "description": "Files and folders to upload when the task ends (generic-worker's shape).",
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "path"],
                "properties": {
                  "type": { "enum": ["file", "directory"] },
                  "path": { "type": "string", "minLength": 1, "description": "Relative to the task directory." },
                  "name": { "type": "string", "minLength": 1, "description": "The artifact name (default: the path); public/... is readable without scopes. Printable ASCII only (space to ~), as Taskcluster requires." },
                  "expires": { "type": "string", "format": "date-time", "description": "Default: the task's expiry, which it may not exceed." },
                  "contentType": { "type": "string", "minLength": 1, "description": "Default: guessed from the file extension." },
                  "contentEncoding": { "enum": ["identity", "gzip"], "description": "How the artifact is stored where the storage allows gzip (s3 artifacts, the operator's bucket): default gzip for compressible types (text, JSON, XML, JavaScript, YAML, SVG, scripts, tar) unless the extension marks it compressed already (gz, zip, png, ...), identity otherwise. Object storage always stores identity. On a directory it applies to every file." },
                  "optional": { "type": "boolean", "description": "When true, a missing file does not fail the task." }
                }
              }
            }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Artifacts", "List files and folders under `artifacts` (`type`, `path`, optional `name`, `expires`, `contentType`, `contentEncoding`, `optional`). They upload when the task ends, whether it succeeded or not. A missing path becomes an error artifact and fails the task unless `optional`; a path leading outside the task directory is never read. Artifact names hold printable ASCII only (space to ~): a `name` (or, without one, a `path`) with other characters is a malformed payload, and a file in a folder whose path has them is left out with an error line, failing the task unless `optional`. When the worker's config names a `bucket`, files go to that S3-compatible bucket and the artifacts are references to them."),
        new("Artifacts in docker-worker payloads", "Tasks with a docker-worker payload write `artifacts` as docker-worker did: an object keyed by artifact name, each `{type, path, expires}`, with `type` file, directory or volume and `path` in the container. As d2g translates them, every entry is optional: a missing path leaves an error artifact and a line in the log, and the task does not fail. A `volume` is mounted, empty, at its path before the task starts (so the folder exists), and uploaded as a folder when it ends. `features.artifacts: false` uploads none of them."),
        new("Content encoding", "Where the storage allows it (the worker's `artifactStorage: s3`, or a `bucket`), compressible files (text/*, JSON, XML, JavaScript, YAML, SVG, shell scripts, logs, tar) are stored gzip-compressed with `Content-Encoding: gzip` and their own content type; files whose extension marks them compressed already (gz, tgz, zip, xz, bz2, zst, 7z, jar, whl, png, jpg, gif, webp, mp4, ...) and unknown binary types are stored as is. `contentEncoding: identity` or `gzip` on an entry overrides the choice (gzip is kept even when it does not make the file smaller). Browsers and HTTP clients that accept gzip decode it on download (curl: `--compressed`); a client that does not gets the gzip bytes. With object storage (the default) every artifact is stored as is, and a `gzip` request is noted once in the task log."),
    ];

    public JObject? GetPayloadSchema(PayloadBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return branch.Dialect == PayloadDialects.DockerWorker ? DockerWorkerArtifacts.Schema : PayloadSchema;
    }

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var entries = options.Payload["artifacts"] switch
        {
            JArray list => ParseList(list, options.Task, problems),
            JObject named when options.Payload["features"]?["artifacts"]?.Value<bool>() != false => DockerWorkerArtifacts.Parse(named, options.Task, problems),
            _ => [],
        };
        if (entries.Count == 0 && problems.Count == 0)
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        var duplicates = entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        problems.AddRange(duplicates.Select(name => $"$.artifacts: the artifact name '{name}' is used more than once"));
        if (problems.Count > 0)
        {
            throw new MalformedPayloadException(problems);
        }

        return Task.FromResult<ITaskPlugin>(new ArtifactsTaskPlugin(options.Task, options.Engine, entries, concurrency, bucket, temporaryFolder));
    }

    /// <summary>Reads an <c>expires</c>, which may not be later than the task's expiry.</summary>
    internal static DateTimeOffset? Expires(JToken? value, ITaskContext task, string where, List<string> problems)
    {
        if (value is null)
        {
            return null;
        }

        var parsed = value.Type == JTokenType.Date ? new DateTimeOffset((DateTime)value) : DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture);
        if (parsed > task.Expires)
        {
            problems.Add($"{where}.expires: {parsed:O} is later than the task's expiry {task.Expires:O}");
        }

        return parsed;
    }

    private static List<ArtifactEntry> ParseList(JArray list, ITaskContext task, List<string> problems)
    {
        var entries = new List<ArtifactEntry>();
        for (var i = 0; i < list.Count; i++)
        {
            var item = (JObject)list[i];
            var path = (string)item["path"]!;
            var expires = Expires(item["expires"], task, $"$.artifacts[{i}]", problems);
            var name = item.Value<string>("name");
            if (!ArtifactNames.IsValid(name ?? path))
            {
                problems.Add(name is null
                    ? $"$.artifacts[{i}].path: {ArtifactNames.Quote(path)} is the artifact's name when it has no name, and {ArtifactNames.Rule}"
                    : $"$.artifacts[{i}].name: {ArtifactNames.Quote(name)} is not a valid artifact name: {ArtifactNames.Rule}");
            }

            entries.Add(new ArtifactEntry(
                (string)item["type"]! == "directory",
                path,
                name ?? path,
                expires,
                item.Value<string>("contentType"),
                item.Value<string>("contentEncoding"),
                item.Value<bool?>("optional") ?? false));
        }

        return entries;
    }

    public ValueTask DisposeAsync()
    {
        bucket?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One entry of the payload's <c>artifacts</c>.</summary>
/// <param name="IsDirectory">A folder: each file under it uploads as <c>name/relative/path</c>.</param>
/// <param name="Path">Where the file or folder is in the sandbox.</param>
/// <param name="Name">The artifact name.</param>
/// <param name="Expires">The artifact's expiry; the task's when null.</param>
/// <param name="ContentType">The content type; guessed from the name when null.</param>
/// <param name="ContentEncoding">identity or gzip; chosen by type when null.</param>
/// <param name="Optional">A missing file does not fail the task.</param>
/// <param name="Volume">docker-worker's <c>volume</c>: an empty volume is mounted at the path before the task starts.</param>
internal sealed record ArtifactEntry(bool IsDirectory, string Path, string Name, DateTimeOffset? Expires, string? ContentType, string? ContentEncoding, bool Optional, bool Volume = false);
