using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Workers;

namespace TcWorker.Runtime.Tests.Worker;

/// <summary>A logger that keeps every line with its event id.</summary>
public sealed class ListLogger : ILogger, ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> lines = new();

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Lines => lines.ToArray();

    public IReadOnlyList<string> Messages(int eventId) => Lines.Where(l => l.EventId == eventId).Select(l => l.Message).ToList();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue((eventId.Id, logLevel, formatter(state, exception)));

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}

/// <summary>An engine whose start and health answers come from the test; it runs no task.</summary>
public sealed class ControlledEngine : IEngine
{
    private int starts;
    private int checks;

    public Func<int, CancellationToken, Task> Start { get; set; } = (_, _) => Task.CompletedTask;

    public Func<int, CancellationToken, Task<EngineHealth>> Health { get; set; } = (_, _) => Task.FromResult(EngineHealth.Healthy);

    public int Starts => Volatile.Read(ref starts);

    public int Checks => Volatile.Read(ref checks);

    public EngineCapabilities Capabilities { get; } = new();

    public JObject PayloadSchema { get; } = new() { ["type"] = "object" };

    public IReadOnlyList<DocSection> Documentation => [];

    public Task StartAsync(CancellationToken cancellationToken = default) => Start(Interlocked.Increment(ref starts), cancellationToken);

    public Task<EngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => Health(Interlocked.Increment(ref checks), cancellationToken);

    public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The controlled engine runs no task.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A plugin that records what the worker tells it, and may throw while being told.</summary>
public sealed class RecordingPlugin(bool throws = false) : IPlugin
{
    private readonly ConcurrentQueue<TimeSpan> idle = new();
    private readonly ConcurrentQueue<Exception> errors = new();

    public IReadOnlyList<TimeSpan> Idle => idle.ToArray();

    public IReadOnlyList<Exception> Errors => errors.ToArray();

    public JObject PayloadSchema { get; } = new() { ["type"] = "object" };

    public IReadOnlyList<DocSection> Documentation => [];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The recording plugin takes part in no run.");

    public void ReportIdle(TimeSpan idleFor)
    {
        idle.Enqueue(idleFor);
        if (throws)
        {
            throw new InvalidOperationException("idle reports are not welcome here");
        }
    }

    public void ReportNonFatalError(Exception error)
    {
        errors.Enqueue(error);
        if (throws)
        {
            throw new InvalidOperationException("error reports are not welcome here");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Moves a fake clock forward in small steps until a condition holds, letting the thread pool catch up between steps.</summary>
public static class Clock
{
    public static async Task AdvanceUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan step, TimeSpan limit)
    {
        var end = time.GetUtcNow() + limit;
        while (!condition())
        {
            Assert.True(time.GetUtcNow() < end, $"not reached within {limit} of fake time");
            time.Advance(step);

            // Real time only for the continuations the step released; no assertion depends on it.
            await Task.Delay(2);
        }
    }
}

/// <summary>A cache or image that frees its size when disposed, unless it is in use.</summary>
public sealed class FakeResource(string name, DateTimeOffset lastUsed, long size, bool inUse, List<string> disposed, Action<long> free) : ICollectableResource
{
    public Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default) => Task.FromResult(size);

    public DateTimeOffset LastUsed => lastUsed;

    public Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default)
    {
        if (inUse)
        {
            return Task.FromResult(false);
        }

        disposed.Add(name);
        free(size);
        return Task.FromResult(true);
    }
}
