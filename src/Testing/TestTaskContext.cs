using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Tasks;
using TcWorker.Tasks;

namespace TcWorker.Testing;

/// <summary>
/// A task context for engine tests: fixed ids, an hour to its deadline, every scope granted, and a
/// file-backed <see cref="TaskLog"/> from the runtime. It has no queue: <see cref="Artifacts"/> throws.
/// Create it with <see cref="EngineTestEnvironment.CreateTask"/>; dispose it to close the log.
/// </summary>
public sealed class TestTaskContext : ITaskContext, IAsyncDisposable
{
    private readonly CancellationTokenSource aborted = new();
    private readonly TaskLog log;

    /// <summary>Creates a context whose log is written to <paramref name="logPath"/>.</summary>
    /// <param name="logPath">A file path that does not exist yet.</param>
    public TestTaskContext(string logPath) => log = new TaskLog(logPath);

    /// <inheritdoc />
    public string TaskId { get; init; } = "dGVzdC10YXNrLWlkLTAwMA";

    /// <inheritdoc />
    public int RunId { get; init; }

    /// <inheritdoc />
    public JObject Task { get; init; } = [];

    /// <inheritdoc />
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public DateTimeOffset Deadline { get; } = DateTimeOffset.UtcNow.AddHours(1);

    /// <inheritdoc />
    public DateTimeOffset Expires { get; } = DateTimeOffset.UtcNow.AddDays(1);

    /// <inheritdoc />
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <inheritdoc />
    public string RootUrl => EngineTestEnvironment.RootUrl;

    /// <inheritdoc />
    public ITaskLog Log => log;

    /// <summary>Everything written to the log so far, decoded as UTF-8.</summary>
    public string LogText => Encoding.UTF8.GetString(LogBytes);

    /// <summary>Everything written to the log so far, byte for byte.</summary>
    public byte[] LogBytes
    {
        get
        {
            using var file = File.Open(log.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var bytes = new MemoryStream();
            file.CopyTo(bytes);
            return bytes.ToArray();
        }
    }

    /// <inheritdoc />
    public CancellationToken Aborted => aborted.Token;

    /// <inheritdoc />
    public TaskCredentials Credentials { get; } = new("task-client/test", "secret-task-token", null, null);

    /// <inheritdoc />
    public IArtifactPublisher Artifacts => throw new NotSupportedException("Engine tests have no queue to publish artifacts to.");

    /// <summary>Fires <see cref="Aborted"/>, as a cancelled task would.</summary>
    public void Abort() => aborted.Cancel();

    /// <inheritdoc />
    public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => true;

    /// <summary>Waits until the log contains <paramref name="text"/>.</summary>
    /// <param name="text">The text to wait for.</param>
    /// <param name="timeout">How long to wait; 30 seconds by default.</param>
    /// <returns>When the text is in the log.</returns>
    /// <exception cref="TimeoutException">The text did not appear in time; the message holds the log.</exception>
    public async Task WaitForLogAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!LogText.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear in the task log:\n{LogText}");
            }

            await System.Threading.Tasks.Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await log.CloseAsync().ConfigureAwait(false);
        aborted.Dispose();
    }
}
