using Newtonsoft.Json.Linq;

namespace TcWorker.Tasks;

/// <summary>
/// One run of one task, as engines and plugins see it. Thread-safe. Owned by the runtime; valid
/// until the run is disposed.
/// </summary>
public interface ITaskContext
{
    /// <summary>The task's id (a 22-character slugid).</summary>
    string TaskId { get; }

    /// <summary>The run's number (0 for the first run).</summary>
    int RunId { get; }

    /// <summary>The full task definition as the queue returned it (read-only by convention).</summary>
    JObject Task { get; }

    /// <summary>When the task was created.</summary>
    DateTimeOffset Created { get; }

    /// <summary>When the queue gives up on the task; the run is aborted then.</summary>
    DateTimeOffset Deadline { get; }

    /// <summary>When the task and its artifacts are deleted; no artifact may expire later.</summary>
    DateTimeOffset Expires { get; }

    /// <summary>The scopes the task carries (<c>task.scopes</c>).</summary>
    IReadOnlyList<string> Scopes { get; }

    /// <summary>The root URL of the Taskcluster deployment the task came from.</summary>
    string RootUrl { get; }

    /// <summary>The task log: system lines, the task's output, and live readers.</summary>
    ITaskLog Log { get; }

    /// <summary>
    /// Fires when the run is aborted: cancelled, deadline exceeded, claim lost, or the worker stopping.
    /// Hooks should stop promptly and let the runtime resolve the run.
    /// </summary>
    CancellationToken Aborted { get; }

    /// <summary>
    /// The run's current temporary credentials, issued by the queue with the claim and replaced on
    /// every reclaim: read it each time it is needed, never cache it. Never write it to a log.
    /// </summary>
    TaskCredentials Credentials { get; }

    /// <summary>Creates artifacts of this run through the queue.</summary>
    IArtifactPublisher Artifacts { get; }

    /// <summary>
    /// Tells whether the task's scopes satisfy any one of the given sets (each set satisfied when
    /// every scope in it is, with trailing <c>*</c> matching).
    /// </summary>
    /// <param name="scopeSets">Alternative sets of required scopes.</param>
    /// <returns><see langword="true"/> when one set is satisfied.</returns>
    bool HasScopes(params IReadOnlyList<string>[] scopeSets);
}

/// <summary>
/// Temporary Taskcluster credentials. <see cref="ToString"/> never shows the access token.
/// </summary>
/// <param name="ClientId">The client id, e.g. <c>task-client/&lt;taskId&gt;/&lt;runId&gt;/on/...</c>.</param>
/// <param name="AccessToken">The secret.</param>
/// <param name="Certificate">The certificate of temporary credentials as a JSON string, or <see langword="null"/>.</param>
/// <param name="Expires">When they stop working, if known.</param>
public sealed record TaskCredentials(string ClientId, string AccessToken, string? Certificate, DateTimeOffset? Expires)
{
    /// <inheritdoc />
    public override string ToString() => $"TaskCredentials {{ ClientId = {ClientId}, AccessToken = ***, Expires = {Expires:O} }}";
}
