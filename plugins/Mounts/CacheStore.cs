using TcWorker.Engines;
using TcWorker.Workers;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The worker's named writable caches, per engine: each name has any number of caches (volumes), each
/// attached to at most one task at a time. A task takes the most recently used idle cache of its name;
/// when every cache of that name is in use, it gets a fresh one, and when both tasks end both are kept.
/// Idle caches are evicted least recently used by the garbage collector; a purge disposes every cache of
/// a name that is idle and marks the busy ones to go when their task ends. Thread-safe.
/// </summary>
internal sealed class CacheStore(IGarbageCollector collector, TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly List<Cache> caches = [];

    /// <summary>How many caches are kept, busy or idle.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return caches.Count;
            }
        }
    }

    /// <summary>Takes the most recently used idle cache of <paramref name="name"/> on <paramref name="engine"/> for a task, or null when there is none.</summary>
    public Cache? TryTake(string engine, string name)
    {
        lock (gate)
        {
            var cache = caches.Where(c => c.Engine == engine && c.Name == name && !c.InUse).MaxBy(c => c.LastUsed);
            cache?.Take(time.GetUtcNow());
            return cache;
        }
    }

    /// <summary>Keeps a cache a task has just made (from an empty or preloaded volume); it is in use by that task.</summary>
    public Cache Add(string engine, string name, IVolume volume)
    {
        var cache = new Cache(this, engine, name, volume, time.GetUtcNow());
        cache.Take(time.GetUtcNow());
        lock (gate)
        {
            caches.Add(cache);
        }

        collector.Register(cache);
        return cache;
    }

    /// <summary>A task is done with a cache: it stays for later tasks, or goes now when it was purged.</summary>
    public async Task ReturnAsync(Cache cache, bool purge)
    {
        bool dispose;
        lock (gate)
        {
            cache.Return(time.GetUtcNow(), purge);
            dispose = cache.Purged;
        }

        if (dispose)
        {
            await cache.TryDisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Purges the caches of <paramref name="name"/> (every engine) created before <paramref name="before"/>: idle ones now, busy ones when their task ends.</summary>
    /// <returns>How many caches went now, and how many go when their task ends.</returns>
    public async Task<(int Now, int Later)> PurgeAsync(string name, DateTimeOffset before)
    {
        List<Cache> idle;
        var later = 0;
        lock (gate)
        {
            foreach (var cache in caches.Where(c => c.Name == name && c.InUse && c.Created < before && !c.Purged))
            {
                cache.MarkPurged();
                later++;
            }

            idle = [.. caches.Where(c => c.Name == name && !c.InUse && c.Created < before)];
        }

        var count = 0;
        foreach (var cache in idle)
        {
            count += await cache.TryDisposeAsync().ConfigureAwait(false) ? 1 : 0;
        }

        return (count, later);
    }

    /// <summary>Disposes every cache; the worker is stopping.</summary>
    public async Task DisposeAllAsync()
    {
        Cache[] all;
        lock (gate)
        {
            all = [.. caches];
        }

        foreach (var cache in all)
        {
            await cache.TryDisposeAsync().ConfigureAwait(false);
        }
    }

    private bool Remove(Cache cache)
    {
        lock (gate)
        {
            if (cache.InUse || !caches.Remove(cache))
            {
                return false;
            }
        }

        collector.Unregister(cache);
        return true;
    }

    /// <summary>One cache: a volume with a name, attached to one task at a time. State changes under the store's lock.</summary>
    internal sealed class Cache(CacheStore store, string engine, string name, IVolume volume, DateTimeOffset created) : ICollectableResource
    {
        private DateTimeOffset lastUsed = created;

        public string Engine => engine;

        public string Name => name;

        /// <summary>When a task made it.</summary>
        public DateTimeOffset Created { get; } = created;

        public IVolume Volume => volume;

        public bool InUse { get; private set; }

        public bool Purged { get; private set; }

        /// <summary>When the current task took it.</summary>
        public DateTimeOffset Taken { get; private set; }

        public DateTimeOffset LastUsed
        {
            get
            {
                lock (store.gate)
                {
                    return lastUsed;
                }
            }
        }

        public void Take(DateTimeOffset now)
        {
            InUse = true;
            Taken = now;
            lastUsed = now;
        }

        public void Return(DateTimeOffset now, bool purge)
        {
            InUse = false;
            lastUsed = now;
            Purged |= purge;
        }

        public void MarkPurged() => Purged = true;

        public Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default) => volume.GetSizeAsync(cancellationToken);

        public async Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default)
        {
            if (!store.Remove(this))
            {
                return false;
            }

            await volume.DisposeAsync().ConfigureAwait(false);
            return true;
        }
    }
}
