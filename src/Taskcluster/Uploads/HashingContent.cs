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

    private readonly Stream _source;
    private readonly long _length;
    private readonly bool _hash;
    private ObjectHashes? _hashes;

    /// <param name="source">The bytes to send; disposed with this content.</param>
    /// <param name="length">The Content-Length.</param>
    /// <param name="hash">Whether to compute SHA-256 and SHA-512; without, <see cref="Hashes"/> ends up empty.</param>
    public HashingContent(Stream source, long length, bool hash)
    {
        _source = source;
        _length = length;
        _hash = hash;
        Headers.ContentLength = length;
    }

    /// <summary>Bytes written to the connection so far.</summary>
    public long BytesSent { get; private set; }

    /// <summary>The digests of the bytes sent (empty when not asked for), once the source ended; <see langword="null"/> before that or after a failure.</summary>
    public ObjectHashes? Hashes => _hashes;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var blocks = new Blocks(_hash);
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

            _hashes = await blocks.FinishAsync().ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    // Both async so that even an immediate failure arrives as a task, and the other one is still awaited.
    private static async Task SendAsync(Stream stream, ReadOnlyMemory<byte> block, CancellationToken cancellationToken) =>
        await stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);

    private async Task<int> ReadBlockAsync(byte[] buffer, CancellationToken cancellationToken) =>
        await _source.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

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
        private readonly byte[][] _all = new byte[Count][];
        private readonly int[] _owed = new int[Count];
        private readonly ConcurrentQueue<int> _free = new();
        private readonly SemaphoreSlim _available = new(Count);
        private readonly Digester[] _digesters;

        public Blocks(bool hash)
        {
            for (var i = 0; i < Count; i++)
            {
                _all[i] = ArrayPool<byte>.Shared.Rent(BlockSize);
                _free.Enqueue(i);
            }

            _digesters = hash ? [new Digester(this, HashAlgorithmName.SHA256), new Digester(this, HashAlgorithmName.SHA512)] : [];
        }

        public async Task<(int Index, byte[] Block)> TakeAsync()
        {
            await _available.WaitAsync().ConfigureAwait(false);
            _free.TryDequeue(out var index);
            return (index, _all[index]);
        }

        /// <summary>Hands a block whose bytes went out to the digests (or straight back when there are none).</summary>
        public void Sent(int index, int count)
        {
            if (_digesters.Length == 0)
            {
                Free(index);
                return;
            }

            _owed[index] = _digesters.Length;
            foreach (var digester in _digesters)
            {
                digester.Add(index, count);
            }
        }

        /// <summary>The digests of every block handed over, once the threads have caught up.</summary>
        public async Task<ObjectHashes> FinishAsync()
        {
            if (_digesters.Length == 0)
            {
                return new ObjectHashes();
            }

            return new ObjectHashes { Sha256 = await _digesters[0].FinishAsync().ConfigureAwait(false), Sha512 = await _digesters[1].FinishAsync().ConfigureAwait(false) };
        }

        public async ValueTask DisposeAsync()
        {
            // No block goes back to the shared pool while a thread may still read it.
            foreach (var digester in _digesters)
            {
                await digester.DisposeAsync().ConfigureAwait(false);
            }

            _available.Dispose();
            foreach (var block in _all)
            {
                ArrayPool<byte>.Shared.Return(block);
            }
        }

        private void Digested(int index)
        {
            if (Interlocked.Decrement(ref _owed[index]) == 0)
            {
                Free(index);
            }
        }

        private void Free(int index)
        {
            _free.Enqueue(index);
            _available.Release();
        }

        /// <summary>One digest on its own thread, over the blocks in the order they were sent.</summary>
        private sealed class Digester : IAsyncDisposable
        {
            private readonly Blocks _owner;
            private readonly IncrementalHash _hash;
            private readonly BlockingCollection<(int Index, int Count)> _pending = [];
            private readonly Task _running;

            public Digester(Blocks owner, HashAlgorithmName algorithm)
            {
                _owner = owner;
                _hash = IncrementalHash.CreateHash(algorithm);
                _running = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            public void Add(int index, int count) => _pending.Add((index, count));

            public async Task<string> FinishAsync()
            {
                _pending.CompleteAdding();
                await _running.ConfigureAwait(false);
                return Convert.ToHexStringLower(_hash.GetCurrentHash());
            }

            public async ValueTask DisposeAsync()
            {
                _pending.CompleteAdding();
                await _running.ConfigureAwait(false);
                _pending.Dispose();
                _hash.Dispose();
            }

            private void Run()
            {
                foreach (var (index, count) in _pending.GetConsumingEnumerable())
                {
                    try
                    {
                        _hash.AppendData(_owner._all[index], 0, count);
                    }
                    finally
                    {
                        _owner.Digested(index);
                    }
                }
            }
        }
    }
}
