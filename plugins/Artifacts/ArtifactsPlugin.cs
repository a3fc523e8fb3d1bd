using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;

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
        new("Content encoding", "Where the storage allows it (the worker's `artifactStorage: s3`, or a `bucket`), compressible files (text/*, JSON, XML, JavaScript, YAML, SVG, shell scripts, logs, tar) are stored gzip-compressed with `Content-Encoding: gzip` and their own content type; files whose extension marks them compressed already (gz, tgz, zip, xz, bz2, zst, 7z, jar, whl, png, jpg, gif, webp, mp4, ...) and unknown binary types are stored as is. `contentEncoding: identity` or `gzip` on an entry overrides the choice (gzip is kept even when it does not make the file smaller). Browsers and HTTP clients that accept gzip decode it on download (curl: `--compressed`); a client that does not gets the gzip bytes. With object storage (the default) every artifact is stored as is, and a `gzip` request is noted once in the task log."),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["artifacts"] is not JArray list || list.Count == 0)
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        var problems = new List<string>();
        var entries = new List<ArtifactEntry>();
        for (var i = 0; i < list.Count; i++)
        {
            var item = (JObject)list[i];
            var path = (string)item["path"]!;
            DateTimeOffset? expires = null;
            if (item["expires"] is { } value)
            {
                var parsed = value.Type == JTokenType.Date ? new DateTimeOffset((DateTime)value) : DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture);
                if (parsed > options.Task.Expires)
                {
                    problems.Add($"$.artifacts[{i}].expires: {parsed:O} is later than the task's expiry {options.Task.Expires:O}");
                }

                expires = parsed;
            }

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

        var duplicates = entries.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        problems.AddRange(duplicates.Select(name => $"$.artifacts: the artifact name '{name}' is used more than once"));
        if (problems.Count > 0)
        {
            throw new MalformedPayloadException(problems);
        }

        return Task.FromResult<ITaskPlugin>(new ArtifactsTaskPlugin(options.Task, entries, concurrency, bucket, temporaryFolder));
    }

    public ValueTask DisposeAsync()
    {
        bucket?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One entry of the payload's <c>artifacts</c>.</summary>
internal sealed record ArtifactEntry(bool IsDirectory, string Path, string Name, DateTimeOffset? Expires, string? ContentType, string? ContentEncoding, bool Optional);
