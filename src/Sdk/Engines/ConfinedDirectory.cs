using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using TcWorker.Errors;

namespace TcWorker.Engines;

/// <summary>
/// Reads the files a task left in one directory of the host, and never anything outside it: the building
/// block of an <see cref="IResultSet"/> whose files lie on the worker's own file system (a task directory,
/// a container's bind-mounted output folder). Paths are relative to the directory, or absolute inside it,
/// with <c>/</c> separators; symlinks inside are followed, and one that leads outside is refused with
/// <see cref="PathEscapesSandboxException"/>.
/// </summary>
/// <remarks>
/// <para>
/// The worker may read as root while a process of the task is still alive to swap a checked file or
/// folder for a symlink. So on Linux nothing is opened by path: from the directory's handle each
/// component is opened with <c>openat(O_NOFOLLOW)</c> relative to the handle of the one before; a
/// symlink met on the way is read (<c>readlinkat</c>) and resolved here, against the handles already
/// open, never by the kernel; <c>..</c> goes back to a handle already open. A file is checked with
/// fstat on its open handle and read from that handle only. On other systems every symlink of a path is
/// resolved by path and the file opened by the resolved path, which is safe only if no process of the
/// task outlives it.
/// </para>
/// <para>
/// An instance holds no handle between calls: it needs no disposing, and any number of calls may run at
/// once from any threads. Only regular files are opened or listed: a FIFO, socket or device counts as missing.
/// </para>
/// </remarks>
public sealed class ConfinedDirectory
{
    private const int MaxLinks = 40;
    private const int BufferSize = 81920;
    private static readonly EnumerationOptions ListingOptions = new() { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
    private readonly string root;
    private readonly string? boundary;
    private readonly PathConfinedDirectory? byPath;

    /// <summary>Confines reads to <paramref name="root"/>. Nothing is opened yet: a missing root makes each read throw <see cref="ResourceNotFoundException"/>.</summary>
    /// <param name="root">The directory to read from, as a host path (relative ones are taken from the current directory).</param>
    /// <param name="boundary">
    /// A directory <paramref name="root"/> must really lie in, when the task could have replaced <paramref name="root"/>
    /// (or a folder on the way to it) by a symlink: the engine's task directory when <paramref name="root"/> is a folder
    /// inside it. <see langword="null"/> when the path to <paramref name="root"/> is trusted (the worker made it and the
    /// task cannot change it).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="root"/> or <paramref name="boundary"/> is empty or not a valid path.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is <see langword="null"/>.</exception>
    public ConfinedDirectory(string root, string? boundary = null)
        : this(root, boundary, byHandle: OperatingSystem.IsLinux())
    {
    }

    /// <summary>Confines reads to <paramref name="root"/>, choosing the way: through handles (Linux only) or by path.</summary>
    internal ConfinedDirectory(string root, string? boundary, bool byHandle)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (boundary is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(boundary);
        }

        this.root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        this.boundary = boundary is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(boundary));
        if (!byHandle)
        {
            byPath = new PathConfinedDirectory(root, boundary);
        }
    }

    /// <summary>Opens a regular file for reading (<see cref="IResultSet.OpenFileAsync"/>).</summary>
    /// <param name="path">The file, relative to the directory or absolute inside it, with <c>/</c> separators.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>A readable stream on the file as it was checked; the caller disposes it.</returns>
    /// <exception cref="ResourceNotFoundException">The file does not exist, is no regular file, or the directory does not exist.</exception>
    /// <exception cref="PathEscapesSandboxException">The path, or a symlink on it, leads outside the directory (or the directory outside its boundary).</exception>
    /// <exception cref="MalformedPayloadException">The path is empty or holds a NUL character.</exception>
    /// <exception cref="UnauthorizedAccessException">The worker may not read it.</exception>
    /// <exception cref="IOException">It cannot be opened for another reason.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <remarks>The file is opened on the calling thread: errors are thrown by the call itself, and the task it returns is complete.</remarks>
    public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default)
    {
        if (byPath is not null)
        {
            return byPath.OpenFileAsync(path, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        Validate(path);
        using var top = OpenTop(path);
        var handle = Walk(top, path, path);
        try
        {
            // A FIFO, socket, device or folder: not something to upload.
            return Posix.KindOf(handle) == Posix.FileKind.Regular
                ? Task.FromResult<Stream>(new FileStream(handle, FileAccess.Read, BufferSize))
                : throw new ResourceNotFoundException(path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Lists the regular files under a folder, recursively (<see cref="IResultSet.EnumerateFolderAsync"/>). Folders
    /// are entered only where they really are (a symlink to a folder is not followed); a symlink to a file inside is
    /// listed, one that leads outside is listed with <see cref="SandboxFile.EscapesSandbox"/> set. Each entry opens
    /// its file again, as <see cref="OpenFileAsync"/> does, so a file swapped for a symlink after the listing is
    /// refused then.
    /// </summary>
    /// <param name="path">The folder, relative to the directory or absolute inside it, with <c>/</c> separators.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The files, with paths relative to the folder, in no particular order.</returns>
    /// <exception cref="ResourceNotFoundException">The folder does not exist or is no folder.</exception>
    /// <exception cref="PathEscapesSandboxException">The path, or a symlink on it, leads outside the directory.</exception>
    /// <exception cref="MalformedPayloadException">The path is empty or holds a NUL character.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <remarks>The errors are thrown when the enumeration starts. Folders the worker may not read are skipped.</remarks>
    public IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, CancellationToken cancellationToken = default) =>
        ListFolderAsync(path, cancellationToken);

    private async IAsyncEnumerable<SandboxFile> ListFolderAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (byPath is not null)
        {
            await foreach (var file in byPath.EnumerateFolderAsync(path, cancellationToken).ConfigureAwait(false))
            {
                yield return file;
            }

            yield break;
        }

        Validate(path);
        await Task.Yield();
        var found = new List<SandboxFile>();
        using (var top = OpenTop(path))
        {
            using var folder = Walk(top, path, path);
            if (Posix.KindOf(folder) != Posix.FileKind.Directory)
            {
                throw new ResourceNotFoundException(path);
            }

            List(top, path, folder, string.Empty, found, cancellationToken);
        }

        foreach (var file in found)
        {
            yield return file;
        }
    }

    private void List(Top top, string folderPath, SafeFileHandle folder, string prefix, List<SandboxFile> found, CancellationToken cancellationToken)
    {
        foreach (var name in Names(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = prefix + name;
            using var entry = Posix.OpenAt(folder, name, out var error);
            if (error == Posix.OpenAtError.SymbolicLink)
            {
                if (LinkEntry(top, folderPath, relative) is { } link)
                {
                    found.Add(link);
                }
            }
            else if (entry is not null)
            {
                var (kind, size) = Posix.Stat(entry);
                if (kind == Posix.FileKind.Directory)
                {
                    List(top, folderPath, entry, relative + "/", found, cancellationToken);
                }
                else if (kind == Posix.FileKind.Regular)
                {
                    found.Add(FileEntry(folderPath, relative, size));
                }
            }

            // Anything else ended meanwhile, or is a socket: not listed.
        }
    }

    /// <summary>A symlink in a listed folder: its file when it leads to one inside, flagged when it leads outside, else nothing.</summary>
    private SandboxFile? LinkEntry(Top top, string folderPath, string relative)
    {
        try
        {
            using var target = Walk(top, Combine(folderPath, relative), relative);
            var (kind, size) = Posix.Stat(target);
            return kind == Posix.FileKind.Regular ? FileEntry(folderPath, relative, size) : null;
        }
        catch (PathEscapesSandboxException)
        {
            return new SandboxFile(relative, null, _ => Task.FromException<Stream>(new PathEscapesSandboxException(relative)), escapesSandbox: true);
        }
        catch (Exception e) when (e is ResourceNotFoundException or UnauthorizedAccessException or IOException)
        {
            // A dangling link, or one we cannot follow: nothing to upload.
            return null;
        }
    }

    private SandboxFile FileEntry(string folderPath, string relative, long size) =>
        new(relative, size, cancellationToken => OpenFileAsync(Combine(folderPath, relative), cancellationToken));

    /// <summary>Opens the root: through the boundary when there is one, so that a root the task replaced by a symlink leading out is refused.</summary>
    private Top OpenTop(string shown)
    {
        if (boundary is null)
        {
            return Top.Create(OpenTrusted(root, shown), root);
        }

        using var outer = Top.Create(OpenTrusted(boundary, shown), boundary);
        var relative = Path.GetRelativePath(boundary, root);
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new PathEscapesSandboxException(shown);
        }

        var handle = Walk(outer, relative, shown);
        if (Posix.KindOf(handle) != Posix.FileKind.Directory)
        {
            handle.Dispose();
            throw new ResourceNotFoundException(shown);
        }

        return Top.Create(handle, root);
    }

    private static SafeFileHandle OpenTrusted(string path, string shown)
    {
        try
        {
            return Posix.OpenTrustedDirectory(path);
        }
        catch (IOException)
        {
            throw new ResourceNotFoundException(shown);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> below <paramref name="top"/> component by component, never letting
    /// the kernel follow a symlink. Returns a handle the caller owns.
    /// </summary>
    private static SafeFileHandle Walk(Top top, string path, string shown)
    {
        // The folders opened below the top, innermost last; the top itself is the caller's.
        var folders = new List<SafeFileHandle>();
        var pending = new Stack<string>();
        var links = 0;
        try
        {
            Push(top, path, pending, folders, shown);
            while (pending.TryPop(out var part))
            {
                if (part == "..")
                {
                    if (folders.Count == 0)
                    {
                        throw new PathEscapesSandboxException(shown);
                    }

                    Pop(folders);
                    continue;
                }

                var current = folders.Count > 0 ? folders[^1] : top.Handle;
                var next = Posix.OpenAt(current, part, out var error);
                switch (error)
                {
                    case Posix.OpenAtError.None:
                        folders.Add(next!);
                        if (pending.Count > 0 && Posix.KindOf(next!) != Posix.FileKind.Directory)
                        {
                            throw new ResourceNotFoundException(shown);
                        }

                        break;
                    case Posix.OpenAtError.SymbolicLink:
                        var target = Posix.ReadLinkAt(current, part) ?? throw new ResourceNotFoundException(shown);
                        if (++links > MaxLinks)
                        {
                            throw new PathEscapesSandboxException(shown);
                        }

                        Push(top, target, pending, folders, shown);
                        break;
                    case Posix.OpenAtError.NotFound:
                        throw new ResourceNotFoundException(shown);
                    case Posix.OpenAtError.AccessDenied:
                        throw new UnauthorizedAccessException($"'{shown}' is not readable.");
                    default:
                        throw new IOException($"'{shown}' cannot be opened.");
                }
            }

            if (folders.Count == 0)
            {
                // The path leads to the top itself: a handle of the caller's own.
                return Posix.OpenAt(top.Handle, ".", out _) ?? throw new ResourceNotFoundException(shown);
            }

            var result = folders[^1];
            folders.RemoveAt(folders.Count - 1);
            return result;
        }
        finally
        {
            foreach (var folder in folders)
            {
                folder.Dispose();
            }
        }
    }

    /// <summary>Queues the components of a path (or a link's target); an absolute one starts again from the top, which it must lie in.</summary>
    private static void Push(Top top, string path, Stack<string> pending, List<SafeFileHandle> folders, string shown)
    {
        if (path.StartsWith('/'))
        {
            path = top.RelativePath(path) ?? throw new PathEscapesSandboxException(shown);
            while (folders.Count > 0)
            {
                Pop(folders);
            }
        }

        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
        {
            if (part != ".")
            {
                pending.Push(part);
            }
        }
    }

    private static void Pop(List<SafeFileHandle> folders)
    {
        folders[^1].Dispose();
        folders.RemoveAt(folders.Count - 1);
    }

    /// <summary>The names in an open folder, read through its handle (/proc/self/fd), so the folder cannot be swapped.</summary>
    private static List<string> Names(SafeFileHandle folder)
    {
        try
        {
            return [.. Directory.EnumerateFileSystemEntries(ProcPath(folder), "*", ListingOptions).Select(Path.GetFileName).OfType<string>()];
        }
        catch (UnauthorizedAccessException)
        {
            // The task took the permission to list it away (and the worker is not root): nothing to list.
            return [];
        }
    }

    private static string ProcPath(SafeFileHandle handle) =>
        "/proc/self/fd/" + handle.DangerousGetHandle().ToInt32().ToString(CultureInfo.InvariantCulture);

    private static string Combine(string folderPath, string relative) => folderPath.TrimEnd('/') + "/" + relative;

    private static void Validate(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new MalformedPayloadException($"'{path}' is not a valid path.");
        }
    }

    /// <summary>An opened top folder and the absolute paths that name it (as given, and its real path).</summary>
    private sealed class Top : IDisposable
    {
        private readonly string[] names;

        private Top(SafeFileHandle handle, string[] names)
        {
            Handle = handle;
            this.names = names;
        }

        public SafeFileHandle Handle { get; }

        public static Top Create(SafeFileHandle handle, string given)
        {
            var real = new FileInfo(ProcPath(handle)).LinkTarget;
            return new Top(handle, real is null || real == given ? [given] : [given, Path.TrimEndingDirectorySeparator(real)]);
        }

        /// <summary>An absolute path relative to this folder, or null when it lies outside.</summary>
        public string? RelativePath(string absolute)
        {
            foreach (var name in names)
            {
                if (absolute == name || absolute.StartsWith(name + "/", StringComparison.Ordinal))
                {
                    return absolute[name.Length..];
                }
            }

            return null;
        }

        public void Dispose() => Handle.Dispose();
    }
}
