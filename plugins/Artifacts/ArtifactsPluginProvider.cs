using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.Artifacts;

/// <summary>The <c>artifacts</c> plugin: uploads the files and folders a task's payload names.</summary>
public sealed class ArtifactsPluginProvider : IPluginProvider
{
    /// <summary>Parallel uploads when the config sets none.</summary>
    public const int DefaultConcurrency = 4;

    /// <inheritdoc />
    public string Name => "artifacts";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "concurrency": { "type": "integer", "minimum": 1, "maximum": 64, "description": "How many artifacts upload at once. Default 4." },
            "bucket": {
              "type": "object",
              "description": "Upload files to this S3-compatible bucket as <prefix>/<taskId>/<runId>/<name>, and create reference artifacts to them, instead of uploading through the queue.",
              "required": ["endpoint", "bucket", "accessKeyId", "secretAccessKey"],
              "additionalProperties": false,
              "properties": {
                "endpoint": { "type": "string", "format": "uri", "description": "The S3 endpoint, e.g. https://s3.eu-west-1.amazonaws.com or http://minio.internal:9000." },
                "bucket": { "type": "string", "minLength": 1 },
                "prefix": { "type": "string", "description": "Key prefix; default none." },
                "accessKeyId": { "type": "string", "minLength": 1 },
                "secretAccessKey": { "type": "string", "minLength": 1, "description": "Keep it out of the file with {$env: NAME}." },
                "region": { "type": "string", "minLength": 1, "description": "The region requests are signed for. Default us-east-1." },
                "forcePathStyle": { "type": "boolean", "description": "Path-style addressing (endpoint/bucket/key), as most S3-compatible servers want. Default false." },
                "publicUrl": { "type": "string", "format": "uri", "description": "Base URL for the reference artifacts (e.g. a CDN); default the object's URL at the endpoint." },
                "partSizeMiB": { "type": "integer", "minimum": 5, "maximum": 5120, "description": "Files of this size or more upload in parts of this size. Default 8." },
                "partConcurrency": { "type": "integer", "minimum": 1, "maximum": 32, "description": "Parts of one file uploading at once. Default 4." }
              }
            }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bucket = options.Config["bucket"] is JObject settings ? new BucketStore(BucketOptions.FromConfig(settings)) : null;
        return new ArtifactsPlugin(options.Config["concurrency"]?.Value<int>() ?? DefaultConcurrency, bucket, options.Environment.Storage.Root);
    }
}
