using System.Formats.Tar;
using System.IO.Compression;
using SharpCompress.Archives;
using SharpCompress.Readers;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// Extracts an archive into a volume builder, entry by entry, after <see cref="ArchivePaths"/> has checked
/// each name and link. Keeps modes, modification times, symbolic links and hard links (tar, zip); 7z and
/// rar entries get the engine's default modes. Devices and FIFOs are skipped. A bad entry throws and the
/// caller discards the builder: nothing of a refused archive is kept.
/// </summary>
internal sealed class ArchiveExtractor(IVolumeBuilder builder)
{
    private const int UnixTypeMask = 0xF000;
    private const int UnixSymbolicLink = 0xA000;
    private const int UnixFolder = 0x4000;
    private readonly ArchivePaths paths = new();

    /// <summary>How many entries were skipped (devices, FIFOs).</summary>
    public int Skipped { get; private set; }

    /// <summary>Extracts <paramref name="archive"/>, of a format <see cref="Formats.CanExtract"/> accepts.</summary>
    /// <exception cref="MalformedPayloadException">An entry leads outside, or the archive cannot be read.</exception>
    public async Task ExtractAsync(string archive, string format, CancellationToken cancellationToken)
    {
        try
        {
            switch (format)
            {
                case "zip":
                    await ExtractZipAsync(archive, cancellationToken).ConfigureAwait(false);
                    break;
                case "7z" or "rar":
                    await ExtractOtherAsync(archive, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await ExtractTarAsync(archive, format == "tar" ? null : format[4..], cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException
            or SharpCompress.Common.ArchiveException or SharpCompress.Common.InvalidFormatException or SharpCompress.Common.IncompleteArchiveException
            or NotSupportedException or IOException && e is not PathEscapesSandboxException)
        {
            throw new MalformedPayloadException($"the content is not a readable {format} archive ({e.Message})");
        }
        catch (PathEscapesSandboxException e)
        {
            throw new MalformedPayloadException($"an entry of the archive leads outside the target folder ({e.Message}): the archive is refused");
        }
    }

    private async Task ExtractTarAsync(string archive, string? compression, CancellationToken cancellationToken)
    {
        var stream = compression is null
            ? new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)
            : Formats.OpenDecompressed(archive, compression);

        await using (stream.ConfigureAwait(false))
        {
            var reader = new TarReader(stream);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var options = new VolumeEntryOptions { Mode = entry.Mode, LastWriteTime = entry.ModificationTime };
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            await FolderAsync(entry.Name, options, cancellationToken).ConfigureAwait(false);
                            break;
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            await FileAsync(entry.Name, entry.DataStream ?? Stream.Null, options, cancellationToken).ConfigureAwait(false);
                            break;
                        case TarEntryType.SymbolicLink:
                            await SymbolicLinkAsync(entry.Name, entry.LinkName, options, cancellationToken).ConfigureAwait(false);
                            break;
                        case TarEntryType.HardLink:
                            await HardLinkAsync(entry.Name, entry.LinkName, cancellationToken).ConfigureAwait(false);
                            break;
                        case TarEntryType.GlobalExtendedAttributes:
                            break;
                        default:
                            paths.Check(entry.Name);
                            Skipped++;
                            break;
                    }
                }

                // What follows the tar's end (its padding) is read too, so that a damaged compressed stream is noticed.
                await stream.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ExtractZipAsync(string archive, CancellationToken cancellationToken)
    {
        var zip = await ZipFile.OpenReadAsync(archive, cancellationToken).ConfigureAwait(false);
        await using (zip.ConfigureAwait(false))
        {
            foreach (var entry in zip.Entries)
            {
                var unix = (entry.ExternalAttributes >> 16) & 0xFFFF;
                var mode = unix & 0xFFF;
                var options = new VolumeEntryOptions { Mode = mode == 0 ? null : (UnixFileMode)mode, LastWriteTime = entry.LastWriteTime };
                if (entry.FullName.EndsWith('/') || (unix & UnixTypeMask) == UnixFolder)
                {
                    await FolderAsync(entry.FullName, options, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var content = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    if ((unix & UnixTypeMask) == UnixSymbolicLink)
                    {
                        using var text = new StreamReader(content);
                        await SymbolicLinkAsync(entry.FullName, await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false), options, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await FileAsync(entry.FullName, content, options, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private async Task ExtractOtherAsync(string archive, CancellationToken cancellationToken)
    {
        using var opened = ArchiveFactory.OpenArchive(archive, new ReaderOptions());
        foreach (var entry in opened.Entries)
        {
            var options = new VolumeEntryOptions { LastWriteTime = entry.LastModifiedTime is { } time ? new DateTimeOffset(time) : null };
            if (entry.IsDirectory)
            {
                await FolderAsync(entry.Key ?? string.Empty, options, cancellationToken).ConfigureAwait(false);
            }
            else if (entry.LinkTarget is { Length: > 0 } target)
            {
                await SymbolicLinkAsync(entry.Key ?? string.Empty, target, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var content = entry.OpenEntryStream();
                await using (content.ConfigureAwait(false))
                {
                    await FileAsync(entry.Key ?? string.Empty, content, options, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task FolderAsync(string name, VolumeEntryOptions options, CancellationToken cancellationToken)
    {
        var path = paths.Check(name);
        if (path.Length > 0)
        {
            await builder.WriteFolderAsync(path, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FileAsync(string name, Stream content, VolumeEntryOptions options, CancellationToken cancellationToken)
    {
        var path = NonEmpty(paths.Check(name), name);
        paths.Remove(path);
        await builder.WriteFileAsync(path, content, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task SymbolicLinkAsync(string name, string target, VolumeEntryOptions options, CancellationToken cancellationToken)
    {
        var path = NonEmpty(paths.Check(name), name);
        paths.AddLink(path, target, name);
        await builder.WriteSymbolicLinkAsync(path, target, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task HardLinkAsync(string name, string existing, CancellationToken cancellationToken)
    {
        var path = NonEmpty(paths.Check(name), name);
        var target = NonEmpty(paths.Check(existing), existing);
        paths.Remove(path);
        await builder.WriteHardLinkAsync(path, target, cancellationToken).ConfigureAwait(false);
    }

    private static string NonEmpty(string path, string name) =>
        path.Length > 0 ? path : throw new MalformedPayloadException($"the archive's entry '{name}' has no name: the archive is refused");
}
