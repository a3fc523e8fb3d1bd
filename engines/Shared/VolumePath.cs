using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Resolves a relative path inside a folder that no untrusted process can change meanwhile (a volume
/// being built or at rest, a task directory before its task starts): symbolic links on the way are
/// resolved here, inside the folder, and any path that would lead outside it (<c>..</c>, an absolute
/// path, a link pointing out) is refused with <see cref="PathEscapesSandboxException"/>.
/// </summary>
internal static class VolumePath
{
    private const int MaxLinks = 40;

    /// <summary>
    /// Splits a relative path with <c>/</c> separators into its components, refusing absolute paths and
    /// <c>..</c> (<see cref="PathEscapesSandboxException"/>) and empty or NUL-holding ones (<see cref="ArgumentException"/>).
    /// </summary>
    public static string[] Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not a valid path: it holds a NUL character.", nameof(path));
        }

        if (path.StartsWith('/'))
        {
            throw new PathEscapesSandboxException(path);
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
        {
            throw new PathEscapesSandboxException(path);
        }

        return parts.Length > 0 ? parts : throw new ArgumentException($"'{path}' is not a valid path: it names no entry.", nameof(path));
    }

    /// <summary>
    /// Resolves every folder on the way to the last component of <paramref name="path"/> (creating missing
    /// ones with <paramref name="createFolder"/> when given), and returns the real folder and the last
    /// component's name, which is not resolved.
    /// </summary>
    /// <exception cref="PathEscapesSandboxException">The path leads outside <paramref name="root"/>.</exception>
    /// <exception cref="ResourceNotFoundException">A folder on the way is missing and none is created.</exception>
    /// <exception cref="IOException">A file stands where a folder is needed.</exception>
    public static (string Folder, string Name) ResolveParent(string root, string path, Action<string>? createFolder = null)
    {
        var parts = Split(path);
        var folder = Resolve(root, parts[..^1], path, createFolder);
        return (folder, parts[^1]);
    }

    /// <summary>Resolves the whole path, its last component included (a link there is followed, inside the root).</summary>
    /// <exception cref="PathEscapesSandboxException">The path leads outside <paramref name="root"/>.</exception>
    /// <exception cref="ResourceNotFoundException">Something on the way is missing and none is created.</exception>
    /// <exception cref="IOException">A file stands where a folder is needed.</exception>
    public static string ResolveAll(string root, string path, Action<string>? createFolder = null) => Resolve(root, Split(path), path, createFolder, lastMayBeFile: createFolder is null);

    private static string Resolve(string root, string[] parts, string shown, Action<string>? createFolder, bool lastMayBeFile = false)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(parts.Reverse());
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..")
            {
                if (resolved.Count == 0)
                {
                    throw new PathEscapesSandboxException(shown);
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            var candidate = Path.Combine([root, .. resolved, part]);
            switch (UnixFiles.TryStatus(candidate))
            {
                case { Kind: EntryKind.SymbolicLink }:
                    var target = new FileInfo(candidate).LinkTarget ?? throw new ResourceNotFoundException(shown);
                    if (++links > MaxLinks || target.StartsWith('/'))
                    {
                        throw new PathEscapesSandboxException(shown);
                    }

                    foreach (var next in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").Reverse())
                    {
                        pending.Push(next);
                    }

                    continue;
                case { Kind: EntryKind.Directory }:
                    break;
                case null when createFolder is not null:
                    createFolder(candidate);
                    break;
                case null:
                    throw new ResourceNotFoundException(shown);
                default:
                    if (!(lastMayBeFile && pending.Count == 0))
                    {
                        throw new IOException($"'{shown}' cannot be reached: '{string.Join('/', [.. resolved, part])}' is not a folder.");
                    }

                    break;
            }

            resolved.Add(part);
        }

        return Path.Combine([root, .. resolved]);
    }
}
