using System.Collections.Concurrent;
using TcWorker.Engines;
using TcWorker.Errors;
using Xunit;

namespace TcWorker.Testing;

/// <content>
/// The sandbox builder under concurrent use: the worker calls every plugin's <c>BuildSandboxAsync</c> at once, so
/// <see cref="ISandboxBuilder"/> is thread-safe, and nothing set from one thread may be lost to another.
/// </content>
public abstract partial class EngineConformanceTests
{
    private const int BuilderThreads = 8;
    private const int MaxProxyNameLength = 22;

    /// <summary>
    /// Variables set from many threads at once are all kept: setting any of them again is a
    /// <see cref="NamingConflictException"/>. Of one name set from many threads at once, exactly one call succeeds.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task TheBuilderKeepsEveryVariableSetFromManyThreads()
    {
        RequireFeature(EngineFeatures.EnvironmentVariables);
        var builder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            // Enough calls, in several rounds, that the threads' runs overlap even on a busy machine; after one call
            // that warms the engine's code up.
            builder.SetEnvironmentVariable(EnvironmentVariableName, "warm-up");
            for (var round = 0; round < 4; round++)
            {
                var names = Enumerable.Range(0, 4096).Select(i => $"{EnvironmentVariableName}_{round}_{i}").ToList();
                var (set, _) = AllAtOnce(names, name => builder.SetEnvironmentVariable(name, name));
                Assert.Equal(names.Count, set);
                foreach (var name in names)
                {
                    var again = Record.Exception(() => builder.SetEnvironmentVariable(name, "again"));
                    Assert.True(again is NamingConflictException, $"The variable '{name}', set while other threads set others, was lost: setting it again threw {again?.GetType().Name ?? "nothing"}, not NamingConflictException.");
                }
            }

            var (winners, conflicts) = AllAtOnce(Enumerable.Range(0, BuilderThreads * 4).ToList(), _ => builder.SetEnvironmentVariable(EnvironmentVariableName + "_SHARED", "x"));
            Assert.True(winners == 1, $"{winners} threads (not exactly one) set the same variable at once; {conflicts} got NamingConflictException.");
        }
    }

    /// <summary>
    /// Proxies attached from many threads at once each get their own URL and are all kept (attaching any name again is a
    /// <see cref="NamingConflictException"/>); of one name attached from many threads at once, exactly one call succeeds.
    /// The names are <c>ProxyName</c> with letters appended (cut to 22 letters).
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task TheBuilderKeepsEveryProxyAttachedFromManyThreads()
    {
        RequireFeature(EngineFeatures.Proxies);
        var builder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            var names = Enumerable.Range(0, BuilderThreads * 2).Select(i => ProxyNameWith("x" + (char)('a' + i))).ToList();
            var urls = new ConcurrentBag<Uri>();
            var (attached, _) = AllAtOnce(names, name => urls.Add(builder.AttachProxyAsync(name, _ => Task.CompletedTask).WaitAsync(Timeout).GetAwaiter().GetResult().Url));
            Assert.Equal(names.Count, attached);
            Assert.Equal(names.Count, urls.Distinct().Count());
            foreach (var name in names)
            {
                var again = await Record.ExceptionAsync(() => builder.AttachProxyAsync(name, _ => Task.CompletedTask).WaitAsync(Timeout)).ConfigureAwait(false);
                Assert.True(again is NamingConflictException, $"The proxy '{name}', attached while other threads attached others, was lost: attaching it again threw {again?.GetType().Name ?? "nothing"}, not NamingConflictException.");
            }

            var shared = ProxyNameWith("shared");
            var (winners, conflicts) = AllAtOnce(Enumerable.Range(0, BuilderThreads).ToList(), _ => builder.AttachProxyAsync(shared, _ => Task.CompletedTask).WaitAsync(Timeout).GetAwaiter().GetResult());
            Assert.True(winners == 1, $"{winners} threads (not exactly one) attached the proxy '{shared}' at once; {conflicts} got NamingConflictException.");
        }
    }

    /// <summary>
    /// Calls <paramref name="action"/> on every item from <see cref="BuilderThreads"/> threads of their own (so the thread
    /// pool's size does not serialise them), each taking every n-th item. The threads spin until all are ready and then
    /// start at one moment, so that their calls overlap as much as the machine's cores allow.
    /// </summary>
    /// <returns>How many calls returned, and how many threw <see cref="NamingConflictException"/>; any other error fails the case.</returns>
    private static (int Succeeded, int Conflicts) AllAtOnce<T>(IReadOnlyList<T> items, Action<T> action)
    {
        var succeeded = 0;
        var conflicts = 0;
        var go = 0;
        var errors = new ConcurrentQueue<Exception>();
        using var ready = new CountdownEvent(BuilderThreads);
        var threads = Enumerable.Range(0, BuilderThreads).Select(t => new Thread(() =>
        {
            ready.Signal();
            while (Volatile.Read(ref go) == 0)
            {
                Thread.SpinWait(16);
            }

            for (var i = t; i < items.Count; i += BuilderThreads)
            {
                try
                {
                    action(items[i]);
                    Interlocked.Increment(ref succeeded);
                }
                catch (NamingConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        ready.Wait();
        Volatile.Write(ref go, 1);
        threads.ForEach(thread => thread.Join());
        return errors.IsEmpty ? (succeeded, conflicts) : throw new AggregateException("Calls to the sandbox builder from several threads at once failed.", errors);
    }

    private string ProxyNameWith(string suffix) => ProxyName[..Math.Min(ProxyName.Length, MaxProxyNameLength - suffix.Length)] + suffix;
}
