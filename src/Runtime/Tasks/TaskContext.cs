using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The runtime's <see cref="ITaskContext"/>: what engines and plugins see of one run. Thread-safe.
/// Only the owning <see cref="TaskRun"/> replaces the credentials and fires <see cref="Aborted"/>.
/// </summary>
internal sealed class TaskContext : ITaskContext
{
    private TaskCredentials credentials;

    public TaskContext(ClaimedTask claim, string rootUrl, TaskLog log, IArtifactPublisher artifacts, CancellationToken aborted)
    {
        TaskId = claim.TaskId;
        RunId = claim.RunId;
        Task = claim.Task;
        RootUrl = rootUrl;
        Log = log;
        Artifacts = artifacts;
        Aborted = aborted;
        credentials = claim.Credentials;
        Created = ReadDate(claim.Task, "created", DateTimeOffset.MinValue);
        Deadline = ReadDate(claim.Task, "deadline", DateTimeOffset.MaxValue);
        Expires = ReadDate(claim.Task, "expires", DateTimeOffset.MaxValue);
        Scopes = claim.Task["scopes"] is JArray scopes ? scopes.Values<string>().OfType<string>().ToArray() : [];
    }

    public string TaskId { get; }

    public int RunId { get; }

    public JObject Task { get; }

    public DateTimeOffset Created { get; }

    public DateTimeOffset Deadline { get; }

    public DateTimeOffset Expires { get; }

    public IReadOnlyList<string> Scopes { get; }

    public string RootUrl { get; }

    public ITaskLog Log { get; }

    public CancellationToken Aborted { get; }

    public TaskCredentials Credentials => Volatile.Read(ref credentials);

    public IArtifactPublisher Artifacts { get; }

    public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => scopeSets.Any(set => ScopeSatisfaction.SatisfiesAll(Scopes, set));

    /// <summary>Installs the credentials of a reclaim.</summary>
    public void ReplaceCredentials(TaskCredentials replacement) =>
        Volatile.Write(ref credentials, replacement ?? throw new ArgumentNullException(nameof(replacement)));

    private static DateTimeOffset ReadDate(JObject task, string key, DateTimeOffset fallback) => task[key] switch
    {
        JValue { Value: DateTime date } => new DateTimeOffset(DateTime.SpecifyKind(date, date.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : date.Kind)),
        JValue { Value: DateTimeOffset date } => date,
        JValue { Value: string text } when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) => date,
        _ => fallback,
    };
}
