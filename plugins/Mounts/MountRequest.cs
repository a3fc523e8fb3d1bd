using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Plugins.Mounts;

/// <summary>The kinds of mount of generic-worker's payload.</summary>
internal enum MountKind
{
    /// <summary>One file, decompressed when a format is given.</summary>
    File,

    /// <summary>A named cache that outlives the task.</summary>
    Cache,

    /// <summary>An archive extracted fresh for the task.</summary>
    Directory,
}

/// <summary>One mount of a task, checked: its kind, where it goes, its content and format.</summary>
/// <param name="Kind">What kind of mount.</param>
/// <param name="Target">The file or folder, relative to the task directory or absolute, as the payload has it.</param>
/// <param name="CacheName">The cache's name, for a cache.</param>
/// <param name="Content">Where the content comes from; null for a cache without preloaded content.</param>
/// <param name="Format">The compression (a file) or archive format (a folder); null for none.</param>
/// <param name="Label">How log lines name the mount, e.g. <c>writableDirectoryCache 'cargo' at 'cargo-home'</c>.</param>
internal sealed record MountRequest(MountKind Kind, string Target, string? CacheName, ContentSource? Content, string? Format, string Label)
{
    /// <summary>Reads generic-worker's <c>mounts</c> (already valid against the schema) and checks what the schema cannot.</summary>
    /// <exception cref="MalformedPayloadException">A format is unreadable, a task id is not a dependency, or a scope is missing; every problem at once.</exception>
    public static IReadOnlyList<MountRequest> Parse(JArray? mounts, ITaskContext task)
    {
        var requests = new List<MountRequest>();
        var problems = new List<string>();
        var dependencies = (task.Task["dependencies"] as JArray)?.Values<string>().OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        for (var i = 0; i < (mounts?.Count ?? 0); i++)
        {
            var mount = (JObject)mounts![i];
            var request = mount switch
            {
                _ when mount["cacheName"] is not null => new MountRequest(
                    MountKind.Cache, (string)mount["directory"]!, (string)mount["cacheName"]!, ContentSource.From(mount["content"] as JObject), (string?)mount["format"],
                    $"writableDirectoryCache '{mount["cacheName"]}' at '{mount["directory"]}'"),
                _ when mount["file"] is not null => new MountRequest(
                    MountKind.File, (string)mount["file"]!, null, ContentSource.From((JObject)mount["content"]!), (string?)mount["format"], $"fileMount '{mount["file"]}'"),
                _ => new MountRequest(
                    MountKind.Directory, (string)mount["directory"]!, null, ContentSource.From((JObject)mount["content"]!), (string?)mount["format"], $"readOnlyDirectory '{mount["directory"]}'"),
            };
            problems.AddRange(request.Check(task, dependencies).Select(p => $"[mounts] {request.Label} ($.mounts[{i}]): {p}"));
            requests.Add(request);
        }

        return problems.Count > 0 ? throw new MalformedPayloadException(problems) : requests;
    }

    /// <summary>docker-worker's <c>cache</c>: cache name to mount path, sharing the namespace of <c>writableDirectoryCache</c>.</summary>
    /// <exception cref="MalformedPayloadException">A scope is missing.</exception>
    public static IReadOnlyList<MountRequest> ParseDockerCaches(JObject? caches, ITaskContext task)
    {
        var requests = new List<MountRequest>();
        var problems = new List<string>();
        foreach (var (name, path) in caches ?? [])
        {
            var request = new MountRequest(MountKind.Cache, (string)path!, name, null, null, $"cache '{name}' at '{path}'");
            if (!task.HasScopes([$"docker-worker:cache:{name}"]))
            {
                problems.Add($"[mounts] {request.Label} ($.cache['{name}']): the task lacks the scope docker-worker:cache:{name}");
            }

            requests.Add(request);
        }

        return problems.Count > 0 ? throw new MalformedPayloadException(problems) : requests;
    }

    private IEnumerable<string> Check(ITaskContext task, HashSet<string> dependencies)
    {
        if (Kind == MountKind.Cache && !task.HasScopes([$"generic-worker:cache:{CacheName}"]))
        {
            yield return $"the task lacks the scope generic-worker:cache:{CacheName}";
        }

        if (Format is { } format && !(Kind == MountKind.File ? Formats.CanDecompress(format) : Formats.CanExtract(format)))
        {
            yield return $"the format '{format}' cannot be read by this worker ({Formats.Describe(Kind == MountKind.File)})";
        }

        if (ReferenceEquals(Content?.Url, ContentSource.Invalid))
        {
            yield return "the content's url is not an absolute http or https URL";
        }

        if (Content?.TaskId is { } taskId && !dependencies.Contains(taskId))
        {
            yield return $"the content's task {taskId} is not in task.dependencies: a mount may only use artifacts of tasks the task depends on";
        }

        if (Content?.Artifact is { } artifact && !ContentSource.IsPublic(artifact) && !task.HasScopes([$"queue:get-artifact:{artifact}"]))
        {
            yield return $"the task may not read the private artifact '{artifact}': it lacks the scope queue:get-artifact:{artifact}";
        }
    }
}

/// <summary>
/// Where a mount's content comes from: exactly one of the artifact of a task, the artifact of an indexed
/// task, a URL, or inline text or base64.
/// </summary>
internal sealed record ContentSource
{
    public string? TaskId { get; init; }

    public string? Namespace { get; init; }

    public string? Artifact { get; init; }

    public Uri? Url { get; init; }

    public string? Raw { get; init; }

    public string? Base64 { get; init; }

    /// <summary>Stands for a URL that is not an absolute http or https URL.</summary>
    public static readonly Uri Invalid = new("invalid:url");

    /// <summary>The expected SHA-256, lowercase hex; null when the payload gives none.</summary>
    public string? Sha256 { get; init; }

    /// <summary>How log lines name the source.</summary>
    public string Label => this switch
    {
        { TaskId: { } id } => $"artifact '{Artifact}' of task {id}",
        { Namespace: { } ns } => $"artifact '{Artifact}' of the task indexed at '{ns}'",
        { Url: { } url } => $"URL {url.GetLeftPart(UriPartial.Path)}",
        { Raw: not null } => "inline text",
        _ => "inline base64",
    };

    /// <summary>Artifacts whose names start with <c>public/</c> are readable without scopes.</summary>
    public static bool IsPublic(string artifact) => artifact.StartsWith("public/", StringComparison.Ordinal);

    public static ContentSource? From(JObject? content) => content is null ? null : new ContentSource
    {
        TaskId = (string?)content["taskId"],
        Namespace = (string?)content["namespace"],
        Artifact = (string?)content["artifact"],
        Url = content["url"] is { } url ? (Uri.TryCreate((string?)url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" ? parsed : Invalid) : null,
        Raw = (string?)content["raw"],
        Base64 = (string?)content["base64"],
        Sha256 = (string?)content["sha256"],
    };
}
