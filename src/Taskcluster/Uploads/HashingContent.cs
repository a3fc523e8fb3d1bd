using System.Buffers;
using System.Net;
using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>
/// A PUT body read from a stream in large blocks and written straight to the connection. When asked
/// for digests, SHA-256 and SHA-512 of each block run on the thread pool (one work item each) while
/// the same block is sent and the next one read, so they stay off the sending path yet cover exactly
/// the bytes sent. One instance per attempt: its digests start empty, so a retry never mixes in the
/// bytes of a failed attempt. Memory is two blocks, whatever the length. Disposing it disposes the source.
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
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var current = ArrayPool<byte>.Shared.Rent(BlockSize);
        var next = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            var count = await ReadBlockAsync(current, cancellationToken).ConfigureAwait(false);
            while (count > 0)
            {
                var block = current;
                var filled = count;
                var send = SendAsync(stream, block.AsMemory(0, filled), cancellationToken);
                var read = ReadBlockAsync(next, cancellationToken);

                // Everything started for this block ends before either buffer is touched again, failures included.
                if (_hash)
                {
                    await Task.WhenAll(send, read, Digest(sha256, block, filled), Digest(sha512, block, filled)).ConfigureAwait(false);
                }
                else
                {
                    await Task.WhenAll(send, read).ConfigureAwait(false);
                }

                BytesSent += filled;
                count = read.Result;
                (current, next) = (next, current);
            }

            _hashes = _hash
                ? new ObjectHashes { Sha256 = Convert.ToHexStringLower(sha256.GetCurrentHash()), Sha512 = Convert.ToHexStringLower(sha512.GetCurrentHash()) }
                : new ObjectHashes();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
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

    private static Task Digest(IncrementalHash hash, byte[] block, int count) =>
        Task.Run(() => hash.AppendData(block, 0, count), CancellationToken.None);

    // Both async so that even an immediate failure arrives as a task, after the hashing it runs beside.
    private static async Task SendAsync(Stream stream, ReadOnlyMemory<byte> block, CancellationToken cancellationToken) =>
        await stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);

    private async Task<int> ReadBlockAsync(byte[] buffer, CancellationToken cancellationToken) =>
        await _source.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
}
