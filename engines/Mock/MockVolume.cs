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

/// <summary>
/// Writes the initial content of an in-memory volume. Folders, modes and times are accepted; only file bytes
/// are kept. Symbolic links are remembered while building, so that a path through one that points outside
/// the volume is refused as a host engine would.
/// </summary>
internal sealed class MockVolumeBuilder(string id) : IVolumeBuilder
{
    private const int MaxLinks = 40;
    private readonly Dictionary<string, string> links = new(StringComparer.Ordinal);
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
        links.Remove(relative);
        Volume.Files[relative] = buffer.ToArray();
    }

    public Task WriteSymbolicLinkAsync(string path, string target, VolumeEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var relative = Relative(path);
        Volume.Files.TryRemove(relative, out _);
        links[relative] = target;
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

    /// <summary>The path with the links on the way to its last component resolved, inside the volume.</summary>
    private string Relative(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _ = Volume;
        if (path.StartsWith('/') || path.Split('/').Contains(".."))
        {
            throw new PathEscapesSandboxException(path);
        }

        var resolved = new List<string>();
        var pending = new Stack<string>(Parts(path).Reverse());
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..")
            {
                resolved.RemoveAt(resolved.Count > 0 ? resolved.Count - 1 : throw new PathEscapesSandboxException(path));
                continue;
            }

            if (pending.Count > 0 && links.TryGetValue(string.Join('/', [.. resolved, part]), out var target))
            {
                if (target.StartsWith('/') || ++hops > MaxLinks)
                {
                    throw new PathEscapesSandboxException(path);
                }

                foreach (var next in Parts(target).Reverse())
                {
                    pending.Push(next);
                }

                continue;
            }

            resolved.Add(part);
        }

        return resolved.Count > 0 ? string.Join('/', resolved) : throw new ArgumentException($"'{path}' names no entry.", nameof(path));
    }

    private static IEnumerable<string> Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
