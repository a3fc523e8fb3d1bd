using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.Testing;

/// <summary>What one task of a <see cref="WorkerCase"/> ended with, as fetched from the queue.</summary>
public sealed class WorkerTaskOutcome
{
    /// <summary>The log artifact the worker uploads for every run.</summary>
    public const string LogArtifact = "public/logs/live_backing.log";

    private WorkerTaskOutcome(string name, string taskId, string state, string? reason, string log, IReadOnlyDictionary<string, WorkerArtifact> artifacts)
    {
        Name = name;
        TaskId = taskId;
        State = state;
        Reason = reason;
        Log = log;
        Artifacts = artifacts;
    }

    /// <summary>The task's name in the case.</summary>
    public string Name { get; }

    /// <summary>The task's id in the queue.</summary>
    public string TaskId { get; }

    /// <summary>The state of the last run (<c>completed</c>, <c>failed</c>, <c>exception</c>), or the task's state when it has no run.</summary>
    public string State { get; }

    /// <summary>Why the last run was resolved (<c>completed</c>, <c>failed</c>, <c>malformed-payload</c>, ...), if it was.</summary>
    public string? Reason { get; }

    /// <summary>The resolution as <see cref="TaskExpectation.Resolution"/> spells it: the state, and for an exception its reason.</summary>
    public string Resolution => State == "exception" && Reason is not null ? $"exception/{Reason}" : State;

    /// <summary>The task log (<see cref="LogArtifact"/>); empty when the run uploaded none.</summary>
    public string Log { get; }

    /// <summary>The artifacts of the last run, by name.</summary>
    public IReadOnlyDictionary<string, WorkerArtifact> Artifacts { get; }

    internal static async Task<WorkerTaskOutcome> CollectAsync(QueueClient queue, string name, string taskId, CancellationToken cancellationToken)
    {
        var status = (await queue.StatusAsync(taskId, cancellationToken).ConfigureAwait(false)).Status;
        var run = status.Runs.LastOrDefault();
        var artifacts = new Dictionary<string, WorkerArtifact>(StringComparer.Ordinal);
        if (run is not null)
        {
            // Artifacts stored as s3 may be gzip-encoded; expectations are about the bytes the task wrote.
            using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.GZip });
            await foreach (var artifact in queue.EnumerateArtifactsAsync(taskId, run.RunId, cancellationToken).ConfigureAwait(false))
            {
                artifacts[artifact.Name] = await FetchAsync(http, queue, taskId, run.RunId, artifact, cancellationToken).ConfigureAwait(false);
            }
        }

        var log = artifacts.TryGetValue(LogArtifact, out var logArtifact) ? logArtifact.Content ?? string.Empty : string.Empty;
        return new WorkerTaskOutcome(name, taskId, run?.State ?? status.State, run?.ReasonResolved, log, artifacts);
    }

    private static async Task<WorkerArtifact> FetchAsync(HttpClient http, QueueClient queue, string taskId, int runId, ArtifactInfo artifact, CancellationToken cancellationToken)
    {
        if (artifact.StorageType is not ("s3" or "object" or "error"))
        {
            return new WorkerArtifact(artifact.Name, artifact.StorageType, artifact.ContentType);
        }

        using var response = await http.GetAsync(queue.BuildSignedArtifactUrl(taskId, runId, artifact.Name, TimeSpan.FromMinutes(15)), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (artifact.StorageType == "error")
        {
            var error = response.StatusCode == (HttpStatusCode)424 ? TryParse(body) : null;
            return new WorkerArtifact(artifact.Name, artifact.StorageType, artifact.ContentType)
            {
                ErrorReason = error?.Value<string>("reason") ?? $"(no reason: HTTP {(int)response.StatusCode})",
                ErrorMessage = error?.Value<string>("message"),
            };
        }

        return new WorkerArtifact(artifact.Name, artifact.StorageType, artifact.ContentType)
        {
            Content = response.IsSuccessStatusCode ? body : null,
            FetchError = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}: {Truncate(body)}",
        };
    }

    private static JObject? TryParse(string body)
    {
        try
        {
            return JObject.Parse(body);
        }
        catch (Newtonsoft.Json.JsonReaderException)
        {
            return null;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>One artifact of a run, as fetched from the queue.</summary>
/// <param name="Name">The artifact's name.</param>
/// <param name="StorageType">Its storage type: <c>object</c>, <c>s3</c>, <c>reference</c>, <c>link</c> or <c>error</c>.</param>
/// <param name="ContentType">The content type it was created with, when it has one.</param>
public sealed record WorkerArtifact(string Name, string StorageType, string? ContentType)
{
    /// <summary>The content, decoded as UTF-8, of an uploaded (<c>object</c> or <c>s3</c>) artifact.</summary>
    public string? Content { get; init; }

    /// <summary>Why the content of an uploaded artifact could not be fetched.</summary>
    public string? FetchError { get; init; }

    /// <summary>The reason of an error artifact.</summary>
    public string? ErrorReason { get; init; }

    /// <summary>The message of an error artifact.</summary>
    public string? ErrorMessage { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder($"{StorageType} artifact");
        if (ContentType is not null)
        {
            text.Append($" ({ContentType})");
        }

        if (ErrorReason is not null)
        {
            text.Append($" with reason {ErrorReason}: {ErrorMessage}");
        }

        return text.ToString();
    }
}
