using System.Buffers;
using System.Net;
using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>
/// A PUT body read from a stream in large blocks and written straight to the connection. SHA-256
/// and SHA-512 of each block run on the thread pool while the same block is sent and the next one
/// read, so the digests stay off the sending path yet cover exactly the bytes sent. One instance
/// per attempt: its hashes start empty, so a retry never mixes in the bytes of a failed attempt.
/// Memory is two blocks, whatever the length. Disposing it disposes the source.
/// </summary>
internal sealed class HashingContent : HttpContent
{
    /// <summary>Bytes per read, hash step and socket write.</summary>
    internal const int BlockSize = 1 << 20;

    private readonly Stream _source;
    private readonly long _length;
    private ObjectHashes? _hashes;

    public HashingContent(Stream source, long length)
    {
        _source = source;
        _length = length;
        Headers.ContentLength = length;
    }

    /// <summary>Bytes written to the connection so far.</summary>
    public long BytesSent { get; private set; }

    /// <summary>The digests of the bytes sent, once the source ended; <see langword="null"/> before that or after a failure.</summary>
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
                var hash = Task.Run(
                    () =>
                    {
                        sha256.AppendData(block, 0, filled);
                        sha512.AppendData(block, 0, filled);
                    },
                    CancellationToken.None);
                var send = SendAsync(stream, block.AsMemory(0, filled), cancellationToken);
                var read = ReadBlockAsync(next, cancellationToken);

                // All three end before either buffer is touched again, failures included.
                await Task.WhenAll(hash, send, read).ConfigureAwait(false);
                BytesSent += filled;
                count = read.Result;
                (current, next) = (next, current);
            }

            _hashes = new ObjectHashes
            {
                Sha256 = Convert.ToHexStringLower(sha256.GetCurrentHash()),
                Sha512 = Convert.ToHexStringLower(sha512.GetCurrentHash()),
            };
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

    // Both async so that even an immediate failure arrives as a task, after the hashing it runs beside.
    private static async Task SendAsync(Stream stream, ReadOnlyMemory<byte> block, CancellationToken cancellationToken) =>
        await stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);

    private async Task<int> ReadBlockAsync(byte[] buffer, CancellationToken cancellationToken) =>
        await _source.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
}
