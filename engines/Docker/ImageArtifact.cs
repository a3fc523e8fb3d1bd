using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Docker;

/// <summary>Where a task's image comes from: a name to pull (<see cref="ImageReference"/>) or an artifact to load (<see cref="ImageArtifact"/>).</summary>
internal interface IImageSource;

/// <summary>
/// An image published as an artifact, in docker-worker's forms: <c>{type: task-image, taskId, path}</c>
/// (<see cref="Namespace"/> null) or <c>{type: indexed-image, namespace, path}</c> (<see cref="TaskId"/>
/// null until the index names it). The artifact is a <c>docker save</c> tarball or an OCI layout,
/// plain or compressed.
/// </summary>
internal sealed partial record ImageArtifact(string? TaskId, string? Namespace, string Path) : IImageSource
{
    /// <summary>
    /// Reads the object form. A task-image's task must be among the task's dependencies, as
    /// generic-worker requires of artifact mounts (and so of d2g's task images): the image task is then
    /// resolved before this one starts. Throws <see cref="MalformedPayloadException"/> naming the key.
    /// </summary>
    public static ImageArtifact Parse(JObject image, ITaskContext task)
    {
        var path = image["path"]?.Value<string>() ?? string.Empty;
        if (path.Length == 0)
        {
            throw new MalformedPayloadException("payload.image.path: the name of the image artifact is empty.");
        }

        if (image["type"]?.Value<string>() == "indexed-image")
        {
            var ns = image["namespace"]?.Value<string>() ?? string.Empty;
            return ns.Length > 0
                ? new ImageArtifact(null, ns, path)
                : throw new MalformedPayloadException("payload.image.namespace: the index namespace of the image is empty.");
        }

        var taskId = image["taskId"]?.Value<string>() ?? string.Empty;
        if (!Slugid().IsMatch(taskId))
        {
            throw new MalformedPayloadException($"payload.image.taskId: '{taskId}' is not a task id.");
        }

        var dependencies = (task.Task["dependencies"] as JArray)?.Values<string>() ?? [];
        if (!dependencies.Contains(taskId, StringComparer.Ordinal))
        {
            throw new MalformedPayloadException($"payload.image.taskId: the image's task {taskId} must be among the task's dependencies (task.dependencies), so that it is resolved before this task runs.");
        }

        return new ImageArtifact(taskId, null, path);
    }

    /// <summary>This artifact, with the task the index named.</summary>
    public ImageArtifact WithTask(string taskId) => this with { TaskId = taskId };

    public override string ToString() => (TaskId, Namespace) switch
    {
        (_, null) => $"the artifact {Path} of the task {TaskId}",
        (null, _) => $"the artifact {Path} of the task indexed at {Namespace}",
        _ => $"the artifact {Path} of the task {TaskId} (indexed at {Namespace})",
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$")]
    private static partial Regex Slugid();
}
