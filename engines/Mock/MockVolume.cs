using System.Collections.Concurrent;

namespace TcWorker.Engines.Mock;

/// <summary>An in-memory volume: files by relative path. Thread-safe.</summary>
internal sealed class MockVolume : IVolume
{
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public ValueTask DisposeAsync()
    {
        Files.Clear();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Writes the initial content of an in-memory volume.</summary>
internal sealed class MockVolumeBuilder : IVolumeBuilder
{
    private MockVolume? volume = new();

    public Task WriteFolderAsync(string path, CancellationToken cancellationToken = default)
    {
        _ = Volume;
        return Task.CompletedTask;
    }

    public async Task WriteFileAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        Volume.Files[path.Trim('/')] = buffer.ToArray();
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
}
