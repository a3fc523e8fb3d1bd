using System.Formats.Tar;
using System.Runtime.CompilerServices;
using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Reads files from a stopped container through the archive API (<c>GET /containers/{id}/archive</c>),
/// streaming each file out of the tar the daemon sends, never holding a whole file.
/// </summary>
/// <remarks>
/// Paths are absolute in the container, or relative to the task's working directory (and then may not
/// climb out of it). The daemon resolves the folders on the way inside the container's own file
/// system, so nothing of the host is ever reached; on top of that, the native engine's rule holds: a
/// symbolic link that points outside the requested path is refused. A file requested by a path that is
/// itself a link is refused (its target is elsewhere); in a requested folder, a link is followed only
/// when it resolves, link by link, to a file inside that folder, and is listed as escaping otherwise.
/// </remarks>
internal sealed class ContainerFiles(DockerClient client, string containerId, string workingDirectory)
{
    public async Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken)
    {
        var absolute = Resolve(path);
        var (reader, entry) = await OpenEntryAsync(absolute, path, cancellationToken).ConfigureAwait(false);
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile when entry.DataStream is { } data:
                return new EntryStream(data, reader, entry.Length);
            case TarEntryType.SymbolicLink:
                await reader.DisposeAsync().ConfigureAwait(false);
                throw new PathEscapesSandboxException(path);
            default:
                // A folder, device or FIFO: not a file to read.
                await reader.DisposeAsync().ConfigureAwait(false);
                throw new ResourceNotFoundException(path);
        }
    }

    public async IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = Resolve(path);
        var (reader, root) = await OpenEntryAsync(folder, path, cancellationToken).ConfigureAwait(false);
        await using var _ = reader.ConfigureAwait(false);
        if (root.EntryType == TarEntryType.SymbolicLink)
        {
            throw new PathEscapesSandboxException(path);
        }

        if (root.EntryType != TarEntryType.Directory)
        {
            throw new ResourceNotFoundException(path);
        }

        var prefix = root.Name.TrimEnd('/') + "/";
        var files = new HashSet<string>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var relative = entry.Name[prefix.Length..].TrimEnd('/');
            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    files.Add(relative);
                    yield return new SandboxFile(relative, entry.Length, ct => OpenFileAsync(Combine(folder, relative), ct));
                    break;
                case TarEntryType.HardLink:
                    // A second name of a file written earlier in the same archive: a file of its own here.
                    files.Add(relative);
                    yield return new SandboxFile(relative, null, ct => OpenFileAsync(Combine(folder, relative), ct));
                    break;
                case TarEntryType.SymbolicLink:
                    links[relative] = entry.LinkName;
                    break;
            }
        }

        // Links last: only now is every link of the folder known, so a chain through them can be followed.
        foreach (var (relative, _) in links)
        {
            switch (ResolveLink(folder, relative, links, files))
            {
                case { } target:
                    yield return new SandboxFile(relative, null, ct => OpenFileAsync(Combine(folder, target), ct));
                    break;
                case null when !LinkWalker.Resolve(relative, links, folder).Inside:
                    yield return new SandboxFile(relative, null, _ => throw new PathEscapesSandboxException(relative), escapesSandbox: true);
                    break;
                default:
                    // A dangling link, or one to a folder (folders are entered only where they really are).
                    break;
            }
        }
    }

    /// <summary>Turns a request into an absolute, normalised container path; throws for one that climbs out of its base.</summary>
    internal string Resolve(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new MalformedPayloadException($"'{path}' is not a path in the container.");
        }

        var parts = path.StartsWith('/') ? [] : Split(workingDirectory);
        var floor = parts.Count;
        foreach (var part in Split(path))
        {
            if (part == "..")
            {
                if (parts.Count == floor)
                {
                    throw new PathEscapesSandboxException(path);
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }

    private static List<string> Split(string path) => [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries)];

    private static string Combine(string folder, string relative) => folder == "/" ? "/" + relative : folder + "/" + relative;

    /// <summary>Follows a link of the folder, component by component, through the folder's own links; null when it leaves the folder or ends elsewhere than at a file.</summary>
    private static string? ResolveLink(string folder, string relative, Dictionary<string, string> links, HashSet<string> files) =>
        LinkWalker.Resolve(relative, links, folder) is { Inside: true, Path: var target } && files.Contains(target) ? target : null;

    private async Task<(TarReader Reader, TarEntry Entry)> OpenEntryAsync(string absolute, string requested, CancellationToken cancellationToken)
    {
        ContainerArchiveResponse archive;
        try
        {
            archive = await client.Containers.GetArchiveFromContainerAsync(containerId, new ContainerPathStatParameters { Path = absolute }, statOnly: false, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // The container is kept until the result set is disposed: a 404 is about the path.
            throw new ResourceNotFoundException(requested);
        }

        var stream = archive.Stream ?? throw new ResourceNotFoundException(requested);
        var reader = new TarReader(stream, leaveOpen: false);
        try
        {
            return (reader, await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) ?? throw new ResourceNotFoundException(requested));
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The data of one tar entry, read straight from the daemon's response; disposing it closes the response.</summary>
    private sealed class EntryStream(Stream data, TarReader reader, long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => data.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => data.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => data.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
