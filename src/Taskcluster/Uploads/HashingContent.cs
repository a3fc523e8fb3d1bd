using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>
/// A PUT body read from a stream in large blocks and written straight to the connection, the next
/// block read while one is sent. When asked for digests, two dedicated threads compute SHA-256 and
/// SHA-512 of each block after it is sent, so they stay off the sending path yet cover exactly the
/// bytes sent. One instance per attempt: its digests start empty, so a retry never mixes in the
/// bytes of a failed attempt. Memory is four blocks, whatever the length. Disposing it disposes the source.
/// </summary>
internal sealed class HashingContent : HttpContent
{
    /// <summary>Bytes per read, hash step and socket write.</summary>
    internal const int BlockSize = 1 << 20;

    private readonly Stream source;
    private readonly long length;
    private readonly bool hash;
    private ObjectHashes? hashes;

    /// <param name="source">The bytes to send; disposed with this content.</param>
    /// <param name="length">The Content-Length.</param>
    /// <param name="hash">Whether to compute SHA-256 and SHA-512; without, <see cref="Hashes"/> ends up empty.</param>
    public HashingContent(Stream source, long length, bool hash)
    {
        this.source = source;
        this.length = length;
        this.hash = hash;
        Headers.ContentLength = length;
    }

    /// <summary>Bytes written to the connection so far.</summary>
    public long BytesSent { get; private set; }

    /// <summary>The digests of the bytes sent (empty when not asked for), once the source ended; <see langword="null"/> before that or after a failure.</summary>
    public ObjectHashes? Hashes => hashes;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var blocks = new Blocks(hash);
        await using (blocks.ConfigureAwait(false))
        {
            var current = await blocks.TakeAsync().ConfigureAwait(false);
            var count = await ReadBlockAsync(current.Block, cancellationToken).ConfigureAwait(false);
            while (count > 0)
            {
                var send = SendAsync(stream, current.Block.AsMemory(0, count), cancellationToken);
                // The digests never wait for the network, so a free block always comes.
                var next = await blocks.TakeAsync().ConfigureAwait(false);
                var read = ReadBlockAsync(next.Block, cancellationToken);

                // Both end before either block is touched again, failures included.
                await Task.WhenAll(send, read).ConfigureAwait(false);
                BytesSent += count;
                blocks.Sent(current.Index, count);
                (current, count) = (next, read.Result);
            }

            hashes = await blocks.FinishAsync().ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = this.length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source.Dispose();
        }

        base.Dispose(disposing);
    }

    // Both async so that even an immediate failure arrives as a task, and the other one is still awaited.
    private static async Task SendAsync(Stream stream, ReadOnlyMemory<byte> block, CancellationToken cancellationToken) =>
        await stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);

    private async Task<int> ReadBlockAsync(byte[] buffer, CancellationToken cancellationToken) =>
        await source.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The blocks of one attempt (from the shared pool) and, when asked, the threads that digest them.
    /// A sent block returns to the free blocks once both digests have read it, so the digests may lag
    /// the send by a few blocks but never hold it up unless they fall that far behind. The threads are
    /// dedicated ones, not the thread pool's, so they never hold up the pool threads that serve the
    /// network (or, in one process, the server receiving the upload).
    /// </summary>
    private sealed class Blocks : IAsyncDisposable
    {
        private const int Count = 4;
        private readonly byte[][] all = new byte[Count][];
        private readonly int[] owed = new int[Count];
        private readonly ConcurrentQueue<int> free = new();
        private readonly SemaphoreSlim available = new(Count);
        private readonly Digester[] digesters;

        public Blocks(bool hash)
        {
            for (var i = 0; i < Count; i++)
            {
                all[i] = ArrayPool<byte>.Shared.Rent(BlockSize);
                free.Enqueue(i);
            }

            digesters = hash ? [new Digester(this, HashAlgorithmName.SHA256), new Digester(this, HashAlgorithmName.SHA512)] : [];
        }

        public async Task<(int Index, byte[] Block)> TakeAsync()
        {
            await available.WaitAsync().ConfigureAwait(false);
            free.TryDequeue(out var index);
            return (index, all[index]);
        }

        /// <summary>Hands a block whose bytes went out to the digests (or straight back when there are none).</summary>
        public void Sent(int index, int count)
        {
            if (digesters.Length == 0)
            {
                Free(index);
                return;
            }

            owed[index] = digesters.Length;
            foreach (var digester in digesters)
            {
                digester.Add(index, count);
            }
        }

        /// <summary>The digests of every block handed over, once the threads have caught up.</summary>
        public async Task<ObjectHashes> FinishAsync()
        {
            if (digesters.Length == 0)
            {
                return new ObjectHashes();
            }

            return new ObjectHashes { Sha256 = await digesters[0].FinishAsync().ConfigureAwait(false), Sha512 = await digesters[1].FinishAsync().ConfigureAwait(false) };
        }

        public async ValueTask DisposeAsync()
        {
            // No block goes back to the shared pool while a thread may still read it.
            foreach (var digester in digesters)
            {
                await digester.DisposeAsync().ConfigureAwait(false);
            }

            available.Dispose();
            foreach (var block in all)
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }

        private void Digested(int index)
        {
            if (Interlocked.Decrement(ref owed[index]) == 0)
            {
                Free(index);
            }
        }

        private void Free(int index)
        {
            free.Enqueue(index);
            available.Release();
        }

        /// <summary>One digest on its own thread, over the blocks in the order they were sent.</summary>
        private sealed class Digester : IAsyncDisposable
        {
            private readonly Blocks owner;
            private readonly IncrementalHash hash;
            private readonly BlockingCollection<(int Index, int Count)> pending = [];
            private readonly Task running;

            public Digester(Blocks owner, HashAlgorithmName algorithm)
            {
                this.owner = owner;
                hash = IncrementalHash.CreateHash(algorithm);
                running = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            public void Add(int index, int count) => pending.Add((index, count));

            public async Task<string> FinishAsync()
            {
                pending.CompleteAdding();
                await running.ConfigureAwait(false);
                return Convert.ToHexStringLower(hash.GetCurrentHash());
            }

            public async ValueTask DisposeAsync()
            {
                pending.CompleteAdding();
                await running.ConfigureAwait(false);
                pending.Dispose();
                hash.Dispose();
            }

            private void Run()
            {
                foreach (var (index, count) in pending.GetConsumingEnumerable())
                {
                    try
                    {
                        hash.AppendData(owner.all[index], 0, count);
                    }
                    finally
                    {
                        owner.Digested(index);
                    }
                }
            }
        }
    }
}
