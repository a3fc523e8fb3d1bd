using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>A read-only pass-through that computes SHA-256 and SHA-512 and counts bytes while the content streams.</summary>
internal sealed class HashingReadStream(Stream inner) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);

    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    private ObjectHashes? _final;

    /// <summary>The hashes of what was read; still available after the stream is disposed (the HTTP request disposes it).</summary>
    public ObjectHashes GetHashes() => _final ?? Current();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Append(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Append(buffer.Span[..n]);
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _final is null)
        {
            _final = Current();
            inner.Dispose();
            _sha256.Dispose();
            _sha512.Dispose();
        }

        base.Dispose(disposing);
    }

    private ObjectHashes Current() => new()
    {
        Sha256 = Convert.ToHexStringLower(_sha256.GetCurrentHash()),
        Sha512 = Convert.ToHexStringLower(_sha512.GetCurrentHash()),
    };

    private void Append(ReadOnlySpan<byte> data)
    {
        _sha256.AppendData(data);
        _sha512.AppendData(data);
        BytesRead += data.Length;
    }
}
