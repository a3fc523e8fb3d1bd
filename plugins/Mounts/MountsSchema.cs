using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Mounts;

/// <summary>The payload keys the plugin owns, in generic-worker's and docker-worker's words, and its documentation.</summary>
internal static class MountsSchema
{
    /// <summary>generic-worker's <c>mounts</c> and <c>onExitStatus.purgeCaches</c>, as its schema has them.</summary>
    public static JObject GenericWorker => JObject.Parse("""
        {
          "type": "object",
          "definitions": {
            "content": {
              "oneOf": [
                {
                  "type": "object", "title": "Artifact content", "additionalProperties": false, "required": ["taskId", "artifact"],
                  "properties": {
                    "taskId": { "type": "string", "pattern": "^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$", "description": "A task in task.dependencies." },
                    "artifact": { "type": "string", "maxLength": 1024 },
                    "sha256": { "type": "string", "pattern": "^[a-f0-9]{64}$" }
                  }
                },
                {
                  "type": "object", "title": "Indexed content", "additionalProperties": false, "required": ["namespace", "artifact"],
                  "properties": {
                    "namespace": { "type": "string", "maxLength": 255 },
                    "artifact": { "type": "string", "maxLength": 1024 }
                  }
                },
                {
                  "type": "object", "title": "URL content", "additionalProperties": false, "required": ["url"],
                  "properties": {
                    "url": { "type": "string", "format": "uri" },
                    "sha256": { "type": "string", "pattern": "^[a-f0-9]{64}$" }
                  }
                },
                {
                  "type": "object", "title": "Raw content", "additionalProperties": false, "required": ["raw"],
                  "properties": { "raw": { "type": "string", "maxLength": 65536 } }
                },
                {
                  "type": "object", "title": "Base64 content", "additionalProperties": false, "required": ["base64"],
                  "properties": { "base64": { "type": "string", "maxLength": 65536, "pattern": "^[A-Za-z0-9/+]+[=]{0,2}$" } }
                }
              ]
            },
            "archiveFormat": {
              "type": "string",
              "enum": ["7z", "rar", "tar", "tar.br", "tar.bz2", "tar.gz", "tar.lz", "tar.lz4", "tar.mz", "tar.sz", "tar.xz", "tar.zst", "tar.zz", "zip"]
            },
            "fileMount": {
              "type": "object", "title": "File mount", "additionalProperties": false, "required": ["file", "content"],
              "properties": {
                "file": { "type": "string", "description": "The file, relative to the task directory or absolute." },
                "content": { "$ref": "#/definitions/content" },
                "format": { "type": "string", "enum": ["br", "bz2", "gz", "lz", "lz4", "mz", "sz", "xz", "zst", "zz"], "description": "A compression to undo." }
              }
            },
            "writableDirectoryCache": {
              "type": "object", "title": "Writable directory cache", "additionalProperties": false, "required": ["directory", "cacheName"],
              "dependencies": { "content": ["format"], "format": ["content"] },
              "properties": {
                "directory": { "type": "string" },
                "cacheName": { "type": "string", "description": "Needs the scope generic-worker:cache:<cacheName>." },
                "content": { "$ref": "#/definitions/content" },
                "format": { "$ref": "#/definitions/archiveFormat" }
              }
            },
            "readOnlyDirectory": {
              "type": "object", "title": "Read-only directory", "additionalProperties": false, "required": ["directory", "content", "format"],
              "properties": {
                "directory": { "type": "string" },
                "content": { "$ref": "#/definitions/content" },
                "format": { "$ref": "#/definitions/archiveFormat" }
              }
            }
          },
          "properties": {
            "mounts": {
              "type": "array",
              "description": "Files, caches and archives made available to the task before it starts, as in generic-worker.",
              "items": {
                "oneOf": [
                  { "$ref": "#/definitions/fileMount" },
                  { "$ref": "#/definitions/writableDirectoryCache" },
                  { "$ref": "#/definitions/readOnlyDirectory" }
                ]
              }
            },
            "onExitStatus": {
              "type": "object",
              "properties": {
                "purgeCaches": {
                  "type": "array",
                  "description": "Exit codes that purge the writable caches the task used.",
                  "items": { "type": "integer", "minimum": 0 },
                  "uniqueItems": true
                }
              }
            }
          }
        }
        """);

    /// <summary>docker-worker's <c>cache</c>: cache name to the folder it is mounted at in the container; and <c>onExitStatus.purgeCaches</c>, as docker-worker's schema has it.</summary>
    public static JObject DockerWorker => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "cache": {
              "type": "object",
              "description": "Caches to mount: cache name to mount point in the container. Needs the scope docker-worker:cache:<name>. Shares its names with generic-worker's writableDirectoryCache.",
              "additionalProperties": { "type": "string" }
            },
            "onExitStatus": {
              "type": "object",
              "properties": {
                "purgeCaches": {
                  "type": "array",
                  "description": "Exit codes that purge the caches the task used.",
                  "items": { "type": "integer" }
                }
              }
            }
          }
        }
        """);

    public static IReadOnlyList<DocSection> Documentation =>
    [
        new("Mounts", """
            `mounts` makes files, caches and archives available to a task before it starts, as
            generic-worker does. A `fileMount` puts one file at `file`, decompressed when `format`
            says how (br, bz2, gz, lz, lz4, xz, zst, zz). A `readOnlyDirectory` extracts an archive
            (tar, tar.br, tar.bz2, tar.gz, tar.lz, tar.lz4, tar.xz, tar.zst, tar.zz, zip, 7z, rar)
            at `directory`, fresh for every task: the task may change it, and the changes are
            discarded. A `writableDirectoryCache` mounts the named cache at `directory`. Formats no
            maintained .NET library reads (mz, sz and their tar forms) resolve the task
            `malformed-payload`. Paths are relative to the task directory, or absolute; engines
            may restrict absolute paths (the native engine mounts only inside the task directory).

            Content comes from an artifact of a task in `task.dependencies` (`taskId`, `artifact`),
            from the latest task at an index path (`namespace`, `artifact`), from a URL, or inline
            (`raw`, `base64`). Artifacts are fetched with the task's credentials: a private one needs
            `queue:get-artifact:<name>`, and an index lookup `index:find-task:<namespace>`. When
            `sha256` is given, the content must have that hash. Downloads are kept on the worker by
            source (task and artifact, or URL), never by hash alone, and the queue is asked again on
            every reuse whether this task may read the artifact.

            Archives are extracted entry by entry: an absolute name, a `..` component, or a symbolic
            link that leads outside the folder (directly or through other links) refuses the whole
            archive, and nothing of it is kept. Modes, times, symbolic links and hard links inside
            the folder are kept; devices and FIFOs are skipped. Every problem is a `[mounts]` line in
            the task log naming the mount, and the task resolves `malformed-payload`.
            """),
        new("Caches", """
            A writable cache (`writableDirectoryCache` in generic-worker's payload, `cache` in
            docker-worker's: one namespace of names) needs the scope `generic-worker:cache:<name>`
            (or `docker-worker:cache:<name>`). It persists on the worker across tasks and is attached
            to one running task at a time. A task asking for a name gets the most recently used idle
            cache of that name; when every cache of that name is in use, it gets a fresh, empty one
            (preloaded from `content` if given). When the tasks end, every one of those caches is
            kept for later tasks, and the garbage collector evicts the least recently used idle caches
            and downloads when free disk space falls below `worker.minimumDiskSpace`. A cache whose
            preloading failed is never kept.

            The caches a task used are purged (deleted rather than kept) when its exit code is listed
            in `onExitStatus.purgeCaches`, when it exceeded its `maxRunTime`, and when its run was
            aborted after it started (cancelled, deadline exceeded, claim lost, worker stopping).
            They are also purged by purge requests (the purge-cache service's purgeCache, scope
            `purge-cache:<provisionerId>/<workerType>:<name>`): before a task attaches a cache, the
            worker reads its pool's requests (at most once per `purgeCacheInterval` of the plugin's
            config) and drops the caches of each name made before the request; one in use goes when
            its task ends.
            """),
    ];
}
