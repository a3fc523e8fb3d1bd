using System.Collections.Concurrent;

namespace TcWorker.Runtime.Tests.Tasks.Fakes;

/// <summary>What the scripted engine and plugins saw happen, in order.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<string> events = new();

    public IReadOnlyList<string> Items => events.ToArray();

    public void Add(string name) => events.Enqueue(name);

    public int IndexOf(string name) => Items.ToList().IndexOf(name);

    public bool Contains(string name) => events.Contains(name);
}

/// <summary>Hook behaviours for scripts.</summary>
public static class Behave
{
    /// <summary>Never completes and ignores cancellation: a hung component.</summary>
    public static Func<CancellationToken, Task> Hang => _ => new TaskCompletionSource().Task;

    public static Func<CancellationToken, Task> Throw(Exception error) => _ => Task.FromException(error);

    /// <summary>Signals <paramref name="entered"/>, then waits until cancelled.</summary>
    public static Func<CancellationToken, Task> WaitForCancel(TaskCompletionSource entered) => async token =>
    {
        entered.TrySetResult();
        await Task.Delay(Timeout.Infinite, token);
    };
}
