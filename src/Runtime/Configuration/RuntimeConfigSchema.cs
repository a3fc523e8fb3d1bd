using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// The runtime's own part of the worker config schema. The composed schema (<see cref="ConfigSchemaComposer"/>)
/// adds the enabled engine's and plugins' config schemas under <c>engines</c> and <c>plugins</c>.
/// </summary>
public static class RuntimeConfigSchema
{
    /// <summary>The pattern of a worker pool id (<c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>).</summary>
    public const string WorkerPoolIdPattern = "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$";

    /// <summary>The pattern of a worker group or worker id.</summary>
    public const string IdentifierPattern = "^[a-zA-Z0-9-_]{1,38}$";

    /// <summary>The pattern of an engine or plugin name.</summary>
    public const string ComponentNamePattern = "^[a-z][a-z0-9-]{0,63}$";

    /// <summary>Creates the runtime's part of the schema (a fresh copy each call).</summary>
    /// <returns>The schema.</returns>
    public static JObject Create()
    {
        var schema = JObject.Parse(Json);
        var worker = (JObject)schema["properties"]!["worker"]!["properties"]!;
        foreach (var (key, value) in Worker.WorkerOptions.ConfigDefaults)
        {
            ((JObject)worker[key]!)["default"] = value.DeepClone();
        }

        return schema;
    }

    private const string Json = """
    {
      "$schema": "http://json-schema.org/draft-07/schema#",
      "title": "TcWorker worker config",
      "type": "object",
      "additionalProperties": false,
      "required": ["engine", "worker"],
      "properties": {
        "$schema": { "type": "string", "description": "The schema of this file, for editors." },
        "engine": {
          "type": ["string", "array"],
          "pattern": "^[a-z][a-z0-9-]{0,63}$",
          "items": { "type": "string", "pattern": "^[a-z][a-z0-9-]{0,63}$" },
          "description": "The engine tasks run in, e.g. native; or a list of engines, e.g. [native, docker], and each task runs on the one whose payload form it matches."
        },
        "engines": {
          "type": "object",
          "description": "Config of each engine, by name. Only the enabled engines' are validated.",
          "additionalProperties": { "type": ["object", "null"] }
        },
        "plugins": {
          "type": "object",
          "description": "Enabled plugins, by name, each with its config (an empty object or nothing for the defaults)."
        },
        "worker": {
          "type": "object",
          "additionalProperties": false,
          "required": ["workerPoolId"],
          "properties": {
            "workerPoolId": { "type": "string", "pattern": "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$", "description": "The worker pool (task queue) id: <provisionerId>/<workerType>." },
            "workerGroup": { "type": "string", "pattern": "^[a-zA-Z0-9-_]{1,38}$", "description": "The worker group, e.g. a region." },
            "workerId": { "type": "string", "pattern": "^[a-zA-Z0-9-_]{1,38}$", "description": "The worker id; defaults to the host name." },
            "capacity": { "type": "integer", "minimum": 1, "maximum": 1024, "description": "How many tasks run at once (bounded by the engines' own limits together; each engine also keeps its own limit for its own tasks)." },
            "reclaimOffset": { "type": "number", "minimum": 0, "description": "Seconds before takenUntil to reclaim a task." },
            "minimumReclaimDelay": { "type": "number", "minimum": 0, "description": "Seconds to wait at least between a claim or reclaim and the next reclaim." },
            "pollingInterval": { "type": "number", "minimum": 0, "description": "Seconds to wait after a claimWork call that returned no task (the queue long-polls for 20 s already)." },
            "numberOfTasksToRun": { "type": "integer", "minimum": 1, "description": "Stop gracefully after claiming this many tasks." },
            "idleTimeout": { "type": "number", "minimum": 1, "description": "Stop gracefully after this many seconds without a task." },
            "shutdownGracePeriod": { "type": "number", "minimum": 0, "description": "On a graceful stop, seconds running tasks may go on before they are aborted as worker-shutdown." },
            "minimumDiskSpace": { "type": "integer", "minimum": 0, "description": "Bytes of free space the temporary folder's drive must have before the worker claims a task; below it, unused caches and images are evicted first. 0 disables the check." },
            "startTimeout": { "type": "number", "minimum": 1, "description": "Seconds an engine may keep reporting a dependency as unavailable at start (retried with backoff) before the worker stops with exit code 69." },
            "healthCheckInterval": { "type": "number", "exclusiveMinimum": 0, "description": "Seconds between checks of the engines' health (they are also checked before each claim)." },
            "unhealthyTimeout": { "type": "number", "exclusiveMinimum": 0, "description": "Seconds the engines may stay unhealthy (no claims meanwhile) before the worker stops gracefully with exit code 69." },
            "artifactStorage": { "enum": ["object", "s3"], "description": "How artifacts (the task log included) are uploaded." },
            "stopOnFatalError": { "type": "boolean", "description": "Stop gracefully when an engine or plugin reports a fatal error." },
            "hookTimeout": { "type": "number", "minimum": 1, "description": "Seconds a plugin hook may take before the run resolves internal-error." }
          }
        },
        "rootUrl": { "type": "string", "pattern": "^https?://", "description": "The Taskcluster root URL; defaults to TASKCLUSTER_ROOT_URL." },
        "credentials": {
          "type": "object",
          "additionalProperties": false,
          "description": "The worker's Taskcluster credentials; default to TASKCLUSTER_CLIENT_ID, TASKCLUSTER_ACCESS_TOKEN and TASKCLUSTER_CERTIFICATE.",
          "properties": {
            "clientId": { "type": "string", "minLength": 1 },
            "accessToken": { "type": "string", "minLength": 1 },
            "certificate": { "type": ["string", "object"] }
          }
        },
        "webhookServer": {
          "type": "object",
          "additionalProperties": false,
          "description": "The HTTP server behind live logs and other per-task hooks. 'localhost' (the default) listens on a free loopback port, for development and tests; a deployment whose logs are read from elsewhere uses 'public'.",
          "properties": {
            "mode": { "enum": ["localhost", "public"], "default": "localhost", "description": "localhost: a free port on 127.0.0.1; public: 'listen' plus 'advertisedBaseUrl'." },
            "listen": { "type": "string", "minLength": 1, "description": "Public mode: the address and port to listen on, e.g. 0.0.0.0:60023." },
            "advertisedBaseUrl": { "type": "string", "pattern": "^https?://", "description": "Public mode: the base URL readers reach the server at, e.g. https://worker-17.example.com:60023." },
            "certificate": { "type": "string", "minLength": 1, "description": "Public mode: a PKCS#12 (.pfx) file to serve TLS with; relative to the config file." },
            "certificatePassword": { "type": "string", "description": "The certificate's password, if any (use $env to keep it out of the file)." }
          }
        },
        "telemetry": {
          "type": "object",
          "additionalProperties": false,
          "description": "Metrics, traces and the worker's log format; nothing leaves the process unless otlp or prometheus is set.",
          "properties": {
            "otlp": {
              "type": "object",
              "additionalProperties": false,
              "required": ["endpoint"],
              "description": "Export metrics and traces to an OpenTelemetry collector.",
              "properties": {
                "endpoint": { "type": "string", "pattern": "^https?://", "description": "The collector's base URL, e.g. http://127.0.0.1:4318 (http/protobuf: /v1/traces and /v1/metrics are appended) or http://127.0.0.1:4317 (grpc)." },
                "protocol": { "enum": ["http/protobuf", "grpc"], "default": "http/protobuf", "description": "The OTLP transport." },
                "headers": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Headers sent with every export, e.g. an API key (use $env to keep it out of the file)." },
                "interval": { "type": "number", "exclusiveMinimum": 0, "default": 60, "description": "Seconds between metric exports (spans are sent at least every 5 s, or sooner)." },
                "timeout": { "type": "number", "exclusiveMinimum": 0, "default": 10, "description": "Seconds one export may take before it is given up." },
                "maxQueueSize": { "type": "integer", "minimum": 1, "maximum": 1000000, "default": 2048, "description": "Spans waiting for export at most; more are dropped while the collector cannot keep up or be reached." }
              }
            },
            "prometheus": {
              "type": "object",
              "additionalProperties": false,
              "required": ["listen"],
              "description": "Serve the metrics for scraping at http://<listen>/metrics.",
              "properties": {
                "listen": { "type": "string", "minLength": 1, "description": "A loopback address and port, e.g. 127.0.0.1:9464." }
              }
            },
            "logFormat": { "enum": ["text", "json"], "default": "text", "description": "The worker's own log on standard error: one text line per event, or one JSON object per line." },
            "serviceName": { "type": "string", "minLength": 1, "default": "tc-worker", "description": "The service.name resource attribute of exported telemetry." }
          }
        },
        "temporaryFolder": { "type": "string", "minLength": 1, "description": "Where task folders and logs live; defaults to tc-worker under the system temporary folder." },
        "pluginDirectories": {
          "type": "array",
          "items": { "type": "string", "minLength": 1 },
          "description": "More directories to search for engine and plugin folders (besides plugins/ next to the binary)."
        }
      }
    }
    """;
}
