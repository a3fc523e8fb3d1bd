using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// Downloaded content, kept on the worker keyed by its source (a task and artifact, or a URL), never by
/// its hash alone: a hash published by chain of trust must not open a private artifact to a task that
/// merely names it. The caller checks the task's authority over the source before every use, hit or
/// miss. Entries are files in a folder of the worker's temporary storage, evicted least recently used by
/// the garbage collector while no task reads them. Thread-safe; one download per source at a time.
/// </summary>
internal sealed class DownloadCache(string folder, IGarbageCollector collector, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    /// <summary>How many entries are kept.</summary>
    public int Count => entries.Count;

    /// <summary>
    /// The content of a source: a kept copy when there is one whose hash matches <paramref name="sha256"/>
    /// (when given), else a fresh download. Dispose the lease when done reading the file.
    /// </summary>
    /// <param name="key">The source, e.g. <c>task:&lt;taskId&gt;/&lt;artifact&gt;</c> or <c>url:&lt;url&gt;</c>.</param>
    /// <param name="sha256">The expected SHA-256, lowercase hex, or null.</param>
    /// <param name="download">Writes the content to a stream.</param>
    /// <param name="describe">How an error names the source.</param>
    /// <param name="cancellationToken">Cancels the download; nothing half-written is kept.</param>
    /// <exception cref="MalformedPayloadException">The downloaded content does not match <paramref name="sha256"/>; the message gives both hashes.</exception>
    public async Task<Lease> GetAsync(string key, string? sha256, Func<Stream, CancellationToken, Task> download, string describe, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (entries.TryGetValue(key, out var kept) && kept.TryUse(time))
            {
                if (sha256 is null || kept.Sha256 == sha256)
                {
                    return new Lease(kept, Hit: true, time);
                }

                // The source changed since it was kept (a URL): fetch it again.
                kept.Release(time);
                await kept.TryDisposeAsync(cancellationToken).ConfigureAwait(false);
            }

            var path = Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            var partial = path + ".partial";
            string actual;
            try
            {
                var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await using (file.ConfigureAwait(false))
                {
                    var hashing = new HashingStream(file);
                    await download(hashing, cancellationToken).ConfigureAwait(false);
                    actual = hashing.Finish();
                }

                if (sha256 is not null && actual != sha256)
                {
                    throw new MalformedPayloadException($"the content of {describe} has SHA-256 {actual}, but the payload expects {sha256}");
                }

                File.Move(partial, path);
            }
            finally
            {
                File.Delete(partial);
            }

            var entry = new Entry(this, key, path, actual, time.GetUtcNow());
            entry.TryUse(time);
            entries[key] = entry;
            collector.Register(entry);
            return new Lease(entry, Hit: false, time);
        }
        finally
        {
            gate.Release();
        }
    }

    private void Forget(Entry entry)
    {
        entries.TryRemove(new KeyValuePair<string, Entry>(entry.Key, entry));
        collector.Unregister(entry);
    }

    /// <summary>A task's use of a kept download; disposing it lets the collector evict the file again.</summary>
    /// <param name="Entry">The entry.</param>
    /// <param name="Hit">Whether it was kept from before.</param>
    /// <param name="Time">The clock.</param>
    internal sealed record Lease(Entry Entry, bool Hit, TimeProvider Time) : IDisposable
    {
        public string Path => Entry.Path;

        public string Sha256 => Entry.Sha256;

        public void Dispose() => Entry.Release(Time);
    }

    /// <summary>One kept download. Evicted only while no task reads it.</summary>
    internal sealed class Entry(DownloadCache cache, string key, string path, string sha256, DateTimeOffset created) : ICollectableResource
    {
        private readonly Lock gate = new();
        private int readers;
        private bool disposed;
        private DateTimeOffset lastUsed = created;

        public string Key => key;

        public string Path => path;

        public string Sha256 => sha256;

        public DateTimeOffset LastUsed
        {
            get
            {
                lock (gate)
                {
                    return lastUsed;
                }
            }
        }

        public bool TryUse(TimeProvider time)
        {
            lock (gate)
            {
                if (disposed)
                {
                    return false;
                }

                readers++;
                lastUsed = time.GetUtcNow();
                return true;
            }
        }

        public void Release(TimeProvider time)
        {
            lock (gate)
            {
                readers--;
                lastUsed = time.GetUtcNow();
            }
        }

        public Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(File.Exists(path) ? new FileInfo(path).Length : 0L);

        public Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default)
        {
            lock (gate)
            {
                if (readers > 0)
                {
                    return Task.FromResult(false);
                }

                disposed = true;
            }

            cache.Forget(this);
            File.Delete(path);
            return Task.FromResult(true);
        }
    }

    /// <summary>Hashes what is written through it.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public string Finish() => Convert.ToHexStringLower(hash.GetHashAndReset());

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            hash.AppendData(buffer, offset, count);
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
