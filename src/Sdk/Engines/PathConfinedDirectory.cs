using System.Runtime.CompilerServices;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// <see cref="ConfinedDirectory"/> where it cannot open relative to a directory handle (macOS and
/// Windows; its tests run it on Linux): every symlink of a path is resolved by path and the resolved path must stay
/// inside, then the file is opened by that path. A process of the task that outlived it could swap a
/// checked file for a symlink before the open; safe only if none does.
/// </summary>
internal sealed class PathConfinedDirectory
{
    private const int MaxLinks = 40;
    private readonly string root;

    private readonly bool rootEscapes;

    /// <param name="root">The folder to read from.</param>
    /// <param name="boundary">A folder <paramref name="root"/> must really be in (when the task could have replaced it by a symlink); null when it is trusted.</param>
    public PathConfinedDirectory(string root, string? boundary = null)
    {
        // The root itself may sit under a symlink (/tmp on macOS): compare real paths.
        this.root = RealPath(root);
        if (boundary is not null)
        {
            var outer = RealPath(boundary);
            rootEscapes = this.root != outer && !this.root.StartsWith(outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
    }

    private static string RealPath(string path) =>
        Path.TrimEndingDirectorySeparator(Resolve(Path.GetFullPath(path), out _) ?? Path.GetFullPath(path));

    /// <summary>Opens a regular file. Throws ResourceNotFound, PathEscapesSandbox or MalformedPayload.</summary>
    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var real = ResolveInside(path);
        if (!File.Exists(real))
        {
            throw new ResourceNotFoundException(path);
        }

        try
        {
            return Task.FromResult<Stream>(Posix.OpenRegularFile(real));
        }
        catch (FileNotFoundException)
        {
            throw new ResourceNotFoundException(path);
        }
        catch (IOException)
        {
            // A FIFO, socket or device: not something to upload.
            throw new ResourceNotFoundException(path);
        }
    }

    /// <summary>Lists the files under a folder, recursively; symlinks are resolved and flagged when they lead outside.</summary>
    public async IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = ResolveInside(path);
        if (!Directory.Exists(folder))
        {
            throw new ResourceNotFoundException(path);
        }

        await Task.Yield();
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var folders = new Stack<DirectoryInfo>([new DirectoryInfo(folder)]);
        while (folders.Count > 0)
        {
            // Walked by hand: the framework's recursion follows symlinked folders (loops, /etc).
            foreach (var entry in folders.Pop().EnumerateFileSystemInfos("*", options))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = Path.GetRelativePath(folder, entry.FullName).Replace('\\', '/');
                if (entry.LinkTarget is not null)
                {
                    var target = Resolve(entry.FullName, out _);
                    if (target is null || !IsInside(target))
                    {
                        yield return new SandboxFile(relative, null, _ => Task.FromException<Stream>(new PathEscapesSandboxException(relative)), escapesSandbox: true);
                    }
                    else if (File.Exists(target) && Posix.IsRegularFile(target))
                    {
                        yield return FileEntry(relative, target);
                    }

                    // Links to folders inside are not followed: the folder is listed where it really is.
                }
                else if (entry is DirectoryInfo directory)
                {
                    folders.Push(directory);
                }
                else if (Posix.IsRegularFile(entry.FullName))
                {
                    yield return FileEntry(relative, entry.FullName);
                }
            }
        }
    }

    private static SandboxFile FileEntry(string relative, string real) =>
        new(relative, new FileInfo(real).Length, _ => Task.FromResult<Stream>(Posix.OpenRegularFile(real)));

    /// <summary>Resolves a sandbox path to a real path inside the root, or throws.</summary>
    private string ResolveInside(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new MalformedPayloadException($"'{path}' is not a valid path.");
        }

        // Not normalised first: '..' must apply to where a symlink really leads, as the kernel does it.
        if (rootEscapes)
        {
            throw new PathEscapesSandboxException(path);
        }

        var full = Path.IsPathRooted(path) ? path : root + "/" + path;
        var real = Resolve(full, out var missing);
        if (real is null || !IsInside(real))
        {
            throw new PathEscapesSandboxException(path);
        }

        if (missing)
        {
            throw new ResourceNotFoundException(path);
        }

        return real;
    }

    private bool IsInside(string fullPath) =>
        fullPath == root || fullPath.StartsWith(root + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>
    /// Resolves every symlink in an absolute path, like realpath(3). Returns null for a link loop.
    /// <paramref name="missing"/> tells whether a component does not exist (the rest is then kept as written).
    /// </summary>
    private static string? Resolve(string absolute, out bool missing)
    {
        missing = false;
        var pending = new Stack<string>(SplitReversed(absolute));
        var current = Path.GetPathRoot(absolute) ?? "/";
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Combine(current, part);
            if (missing)
            {
                current = next;
                continue;
            }

            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists && info.LinkTarget is null)
            {
                missing = true;
                current = next;
                continue;
            }

            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    return null;
                }

                foreach (var piece in SplitReversed(target))
                {
                    pending.Push(piece);
                }

                if (Path.IsPathRooted(target))
                {
                    current = Path.GetPathRoot(target) ?? "/";
                }

                continue;
            }

            current = next;
        }

        return current;
    }

    /// <summary>The components of a path, last first (ready to be pushed onto a stack).</summary>
    private static IEnumerable<string> SplitReversed(string path) =>
        path.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse();
}
