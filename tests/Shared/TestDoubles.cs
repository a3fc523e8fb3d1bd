using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Engines.Testing;

/// <summary>An in-memory task log that keeps every byte.</summary>
internal sealed class TestTaskLog : ITaskLog
{
    private readonly MemoryStream bytes = new();

    public long Length
    {
        get
        {
            lock (bytes)
            {
                return bytes.Length;
            }
        }
    }

    public bool IsClosed { get; private set; }

    public byte[] Bytes
    {
        get
        {
            lock (bytes)
            {
                return bytes.ToArray();
            }
        }
    }

    public string Text => Encoding.UTF8.GetString(Bytes);

    public void Close() => IsClosed = true;

    public void WriteLine(string message) => Append(ITaskLog.SystemPrefix, message);

    public void WriteErrorLine(string message) => Append(ITaskLog.ErrorPrefix, message);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        lock (bytes)
        {
            if (!IsClosed)
            {
                bytes.Write(data.Span);
            }
        }

        return ValueTask.CompletedTask;
    }

    public Stream OpenReader() => new MemoryStream(Bytes, writable: false);

    /// <summary>Waits until the log contains <paramref name="text"/>.</summary>
    public async Task WaitForAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!Text.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear in the log:\n{Text}");
            }

            await Task.Delay(20);
        }
    }

    private void Append(string prefix, string message)
    {
        var text = string.Concat(message.Split('\n').Select(line => prefix + line + "\n"));
        _ = WriteAsync(Encoding.UTF8.GetBytes(text));
    }
}

/// <summary>A task context with a fresh id and an in-memory log.</summary>
internal sealed class TestTaskContext : ITaskContext
{
    private readonly CancellationTokenSource aborted = new();

    public string TaskId { get; } = "dGVzdC10YXNrLWlkLTAwMA";

    public int RunId { get; init; }

    public JObject Task { get; init; } = new();

    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    public DateTimeOffset Deadline { get; } = DateTimeOffset.UtcNow.AddHours(1);

    public DateTimeOffset Expires { get; } = DateTimeOffset.UtcNow.AddDays(1);

    public IReadOnlyList<string> Scopes { get; init; } = [];

    public string RootUrl => "http://taskcluster.invalid";

    public TestTaskLog TestLog { get; } = new();

    public ITaskLog Log => TestLog;

    public CancellationToken Aborted => aborted.Token;

    public TaskCredentials Credentials { get; } = new("task-client/test", "secret-task-token", null, null);

    public IArtifactPublisher Artifacts => throw new NotSupportedException("No queue in engine tests.");

    public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => true;
}

/// <summary>Temporary storage in a fresh folder under /tmp, deleted on dispose.</summary>
internal sealed class TestStorage : ITemporaryStorage, IDisposable
{
    public TestStorage()
    {
        Root = Path.Combine(Path.GetTempPath(), "tcw-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string CreateFolder(string prefix = "tmp")
    {
        var path = NewFilePath(prefix);
        Directory.CreateDirectory(path);
        return path;
    }

    public string NewFilePath(string prefix = "tmp") => Path.Combine(Root, prefix + "-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A worker environment for engine tests: real clock, temporary storage, no webhooks.</summary>
internal sealed class TestWorkerEnvironment : IWorkerEnvironment, IDisposable
{
    private readonly TestStorage storage = new();

    public WorkerIdentity Identity { get; } = new("test-provisioner/test-worker-type", "test-group", "test-worker");

    public string RootUrl => "http://taskcluster.invalid";

    public ITemporaryStorage Storage => storage;

    public IWebhookServer Webhooks { get; } = new NoWebhooks();

    public IGarbageCollector Collector { get; } = new NoCollector();

    public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

    public IWorkerLifetime Lifetime { get; } = new TestLifetime();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public void Dispose() => storage.Dispose();

    private sealed class NoWebhooks : IWebhookServer
    {
        public Task<WebhookRegistration> AttachAsync(RequestDelegate handler, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("No webhook server in engine tests.");
    }

    private sealed class NoCollector : IGarbageCollector
    {
        public void Register(ICollectableResource resource)
        {
        }

        public void Unregister(ICollectableResource resource)
        {
        }

        public Task CollectAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    private sealed class TestLifetime : IWorkerLifetime
    {
        public CancellationToken Stopping => CancellationToken.None;

        public void StopGracefully()
        {
        }

        public void StopNow()
        {
        }
    }
}
