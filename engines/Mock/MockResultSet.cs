using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>The result of a mock run: its status and the files <c>write-files</c> stored (paths with <c>/</c>, relative).</summary>
internal sealed class MockResultSet(bool success, int? exitCode, ConcurrentDictionary<string, byte[]> files) : IResultSet
{
    public bool Success { get; } = success;

    public int? ExitCode { get; } = exitCode;

    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = Normalize(path);
        return files.TryGetValue(key, out var content)
            ? Task.FromResult<Stream>(new MemoryStream(content, writable: false))
            : throw new ResourceNotFoundException(path);
    }

    public async IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var folder = Normalize(path);
        var prefix = folder.Length == 0 ? string.Empty : folder + "/";
        var entries = files.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (entries.Count == 0)
        {
            throw new ResourceNotFoundException(path);
        }

        await Task.Yield();
        foreach (var (name, content) in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new SandboxFile(name[prefix.Length..], content.Length, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)));
        }
    }

    public ValueTask DisposeAsync()
    {
        files.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>Turns a sandbox path into a key; refuses absolute paths and '..'.</summary>
    internal static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith('/') || path.StartsWith('\\'))
        {
            throw new PathEscapesSandboxException(path);
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
        {
            throw new PathEscapesSandboxException(path);
        }

        return string.Join('/', parts);
    }
}
