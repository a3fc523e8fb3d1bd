using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// The payload keys the docker engine owns, in docker-worker's shape: <c>image</c>, <c>command</c>,
/// <c>capabilities</c>, <c>features.allowPtrace</c>, <c>features.localLiveLog</c> and <c>features.bulkLog</c>
/// (only true, their default), and <c>supersederUrl</c> (accepted and ignored, as
/// docker-worker's schema says). Every other docker-worker key (env, maxRunTime, artifacts, cache,
/// other features, ...) belongs to a plugin.
/// </summary>
/// <param name="Image">The image to run: a name to pull or an artifact to load.</param>
/// <param name="Command">The argv to run; empty runs the image's default command.</param>
/// <param name="Privileged">Whether the container runs privileged.</param>
/// <param name="Devices">The host devices the task asked for (names from <see cref="DockerSettings.DeviceNames"/>).</param>
/// <param name="Ptrace">Whether the container gets CAP_SYS_PTRACE (<c>features.allowPtrace</c>).</param>
internal sealed record DockerPayload(IImageSource Image, IReadOnlyList<string> Command, bool Privileged, IReadOnlyList<string> Devices, bool Ptrace = false)
{
    public const string PrivilegedScope = "docker-worker:capability:privileged";
    public const string PtraceScope = "docker-worker:feature:allowPtrace";
    public const string DeviceScopePrefix = "docker-worker:capability:device:";

    public static JObject Schema
    {
        get
        {
            var schema = BaseSchema;
            ((JObject)schema["properties"]!).Merge(MoreKeys);
            return schema;
        }
    }

    private static JObject BaseSchema => new()
    {
        ["type"] = "object",
        ["properties"] = new JObject
        {
            ["image"] = new JObject
            {
                ["description"] = "The image to run: a name such as ubuntu:24.04 or registry.example.com/team/image@sha256:<digest> (a digest pins the image), or an object naming it.",
                ["oneOf"] = new JArray
                {
                    new JObject { ["type"] = "string", ["title"] = "Image name", ["minLength"] = 1 },
                    ImageObject("docker-image", "Named image", ["name"]),
                    ImageObject("indexed-image", "Image artifact of an indexed task: a docker save tarball or an OCI layout, plain, .gz, .zst or .lz4, read with the task's scopes", ["namespace", "path"]),
                    ImageObject("task-image", "Image artifact of a task among the task's dependencies: a docker save tarball or an OCI layout, plain, .gz, .zst or .lz4, read with the task's scopes", ["taskId", "path"]),
                },
            },
            ["command"] = new JObject
            {
                ["type"] = "array",
                ["items"] = new JObject { ["type"] = "string" },
                ["default"] = new JArray(),
                ["description"] = "The command to run in the container, one argv list (no shell: use [\"/bin/bash\", \"-c\", \"...\"] for one). Empty runs the image's default command.",
            },
            ["capabilities"] = new JObject
            {
                ["type"] = "object",
                ["additionalProperties"] = false,
                ["description"] = "Host capabilities for the container; each needs the worker config to allow it and the task a scope.",
                ["properties"] = new JObject
                {
                    ["privileged"] = new JObject
                    {
                        ["type"] = "boolean",
                        ["default"] = false,
                        ["description"] = $"Runs the container privileged (docker run --privileged). Needs the scope {PrivilegedScope} or {PrivilegedScope}:<provisionerId>/<workerType>, and allowPrivileged in the worker config.",
                    },
                    ["devices"] = new JObject
                    {
                        ["type"] = "object",
                        ["additionalProperties"] = false,
                        ["description"] = $"Host devices for the container. Each needs the scope {DeviceScopePrefix}<name> or {DeviceScopePrefix}<name>:<provisionerId>/<workerType>, and the device in allowDevices of the worker config.",
                        ["properties"] = new JObject(DockerSettings.DeviceNames.Select(d => new JProperty(d, new JObject { ["type"] = "boolean" }))),
                    },
                    ["disableSeccomp"] = new JObject
                    {
                        ["type"] = "boolean",
                        ["description"] = "Accepted for compatibility with docker-worker payloads; only false is supported.",
                    },
                },
            },
        },
        ["required"] = new JArray("image"),
    };

    /// <summary>The keys the engine owns besides image, command and capabilities.</summary>
    private static JObject MoreKeys => JObject.Parse($$"""
        {
          "supersederUrl": {
            "type": "string",
            "description": "Accepted for compatibility with docker-worker payloads, and ignored: docker-worker's schema keeps it without a use."
          },
          "features": {
            "type": "object",
            "properties": {
              "allowPtrace": {
                "type": "boolean",
                "default": false,
                "description": "Lets processes in the container use ptrace (the container gets CAP_SYS_PTRACE; a privileged container has it anyway). Needs the scope {{PtraceScope}} and allowPtrace in the worker config."
              },
              "localLiveLog": {
                "type": "boolean",
                "default": true,
                "description": "docker-worker's live log switch. Only true is supported: the live log is served whenever the livelog plugin is enabled."
              },
              "bulkLog": {
                "type": "boolean",
                "default": true,
                "description": "docker-worker's task log upload switch. Only true is supported: the task log is always uploaded."
              }
            }
          }
        }
        """);

    /// <summary>
    /// Reads the payload and checks the capabilities against the worker config and the task's scopes.
    /// Throws <see cref="MalformedPayloadException"/> naming the key (and the missing scope).
    /// </summary>
    public static DockerPayload Parse(JObject payload, ITaskContext task, DockerSettings settings, WorkerIdentity identity)
    {
        var image = ParseImage(payload["image"], task);
        var command = payload["command"] is JArray argv ? argv.Select(a => a.Value<string>()!).ToList() : [];
        var capabilities = payload["capabilities"] as JObject ?? [];
        var problems = new List<string>();
        var privileged = capabilities["privileged"]?.Value<bool>() ?? false;
        if (privileged)
        {
            if (!HasScope(task, PrivilegedScope, identity))
            {
                problems.Add($"payload.capabilities.privileged: the task needs the scope {PrivilegedScope} (or {PrivilegedScope}:{identity.WorkerPoolId}) to run a privileged container.");
            }
            else if (!settings.AllowPrivileged)
            {
                problems.Add("payload.capabilities.privileged: this worker does not run privileged containers (engines.docker.allowPrivileged is false).");
            }
        }

        var ptrace = payload["features"]?["allowPtrace"]?.Value<bool>() ?? false;
        if (ptrace)
        {
            if (!task.HasScopes([PtraceScope]))
            {
                problems.Add($"payload.features.allowPtrace: the task needs the scope {PtraceScope} to use ptrace in its container.");
            }
            else if (!settings.AllowPtrace)
            {
                problems.Add("payload.features.allowPtrace: this worker does not let tasks use ptrace (engines.docker.allowPtrace is false).");
            }
        }

        foreach (var (log, what) in new[] { ("localLiveLog", "the live log is served whenever the livelog plugin is enabled"), ("bulkLog", "the task log is always uploaded") })
        {
            if (payload["features"]?[log]?.Value<bool>() == false)
            {
                problems.Add($"payload.features.{log}: false is not supported by this worker yet; {what}.");
            }
        }

        if (capabilities["disableSeccomp"]?.Value<bool>() == true)
        {
            problems.Add("payload.capabilities.disableSeccomp: the docker engine does not run containers without seccomp.");
        }

        var devices = new List<string>();
        foreach (var device in (capabilities["devices"] as JObject ?? []).Properties().Where(p => p.Value.Value<bool>()))
        {
            var scope = DeviceScopePrefix + device.Name;
            if (!HasScope(task, scope, identity))
            {
                problems.Add($"payload.capabilities.devices.{device.Name}: the task needs the scope {scope} (or {scope}:{identity.WorkerPoolId}) for this device.");
            }
            else if (!settings.AllowedDevices.Contains(device.Name))
            {
                problems.Add($"payload.capabilities.devices.{device.Name}: this worker does not hand out that device (it is not in engines.docker.allowDevices).");
            }
            else
            {
                devices.Add(device.Name);
            }
        }

        return problems.Count > 0 ? throw new MalformedPayloadException(problems) : new DockerPayload(image, command, privileged, devices, ptrace && !privileged);
    }

    private static IImageSource ParseImage(JToken? image, ITaskContext task)
    {
        var name = image switch
        {
            JValue { Type: JTokenType.String } value => value.Value<string>()!,
            JObject { } o when o["type"]?.Value<string>() == "docker-image" => o["name"]?.Value<string>() ?? string.Empty,
            JObject { } o when o["type"]?.Value<string>() is "task-image" or "indexed-image" => null,
            _ => throw new MalformedPayloadException("payload.image: must be an image name or an object with a type (docker-image, task-image or indexed-image)."),
        };
        if (name is null)
        {
            return ImageArtifact.Parse((JObject)image!, task);
        }

        return ImageReference.TryParse(name)
            ?? throw new MalformedPayloadException($"payload.image: '{name}' is not a valid image name ([registry/]repository[:tag][@sha256:digest], lowercase).");
    }

    private static bool HasScope(ITaskContext task, string scope, WorkerIdentity identity) =>
        task.HasScopes([scope], [$"{scope}:{identity.WorkerPoolId}"]);

    private static JObject ImageObject(string type, string title, string[] required) => new()
    {
        ["type"] = "object",
        ["title"] = title,
        ["additionalProperties"] = false,
        ["required"] = new JArray(required.Prepend("type")),
        ["properties"] = new JObject(required.Select(r => new JProperty(r, new JObject { ["type"] = "string" })).Prepend(new JProperty("type", new JObject { ["enum"] = new JArray(type) }))),
    };
}
