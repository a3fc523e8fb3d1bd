using System.Collections.Concurrent;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>An in-memory volume: files by relative path, attached to one sandbox at a time. Thread-safe.</summary>
internal sealed class MockVolume(string id) : IVolume
{
    private object? holder;

    public string Id { get; } = id;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public Task<long> GetSizeAsync(CancellationToken cancellationToken = default) => Task.FromResult(Files.Values.Sum(f => (long)f.Length));

    /// <summary>Takes the volume for <paramref name="sandbox"/>; throws while another holds it.</summary>
    public void Acquire(object sandbox)
    {
        if (Interlocked.CompareExchange(ref holder, sandbox, null) is { } other && other != sandbox)
        {
            throw new InvalidOperationException($"The volume '{Id}' is attached to another sandbox that has not been disposed.");
        }
    }

    /// <summary>Gives the volume back once <paramref name="sandbox"/> is disposed.</summary>
    public void Release(object sandbox) => Interlocked.CompareExchange(ref holder, null, sandbox);

    public ValueTask DisposeAsync()
    {
        Files.Clear();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Writes the initial content of an in-memory volume. Folders, modes, times and links are accepted; only file bytes are kept.</summary>
internal sealed class MockVolumeBuilder(string id) : IVolumeBuilder
{
    private MockVolume? volume = new(id);

    public Task WriteFolderAsync(string path, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        _ = Relative(path);
        return Task.CompletedTask;
    }

    public async Task WriteFileAsync(string path, Stream content, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var relative = Relative(path);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        Volume.Files[relative] = buffer.ToArray();
    }

    public Task WriteSymbolicLinkAsync(string path, string target, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        _ = Relative(path);
        return Task.CompletedTask;
    }

    public Task WriteHardLinkAsync(string path, string existingPath, CancellationToken cancellationToken = default)
    {
        var existing = Relative(existingPath);
        Volume.Files[Relative(path)] = Volume.Files.TryGetValue(existing, out var bytes) ? bytes : throw new ResourceNotFoundException(existingPath);
        return Task.CompletedTask;
    }

    public Task<IVolume> BuildAsync(CancellationToken cancellationToken = default)
    {
        var built = Volume;
        volume = null;
        return Task.FromResult<IVolume>(built);
    }

    public ValueTask DisposeAsync()
    {
        volume = null;
        return ValueTask.CompletedTask;
    }

    private MockVolume Volume => volume ?? throw new ObjectDisposedException(nameof(MockVolumeBuilder));

    private string Relative(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _ = Volume;
        if (path.StartsWith('/') || path.Split('/').Contains(".."))
        {
            throw new PathEscapesSandboxException(path);
        }

        return path.Trim('/');
    }
}
