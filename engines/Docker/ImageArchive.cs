using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using K4os.Compression.LZ4.Streams;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ZstdSharp;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Loads an image archive into the daemon (<c>docker load</c>): a <c>docker save</c> tarball or an OCI
/// image layout, plain or gzip, zstd or lz4 compressed (told by its first bytes, whatever its name).
/// The archive is streamed to the daemon once, rewritten on the way: the names it carries
/// (<c>RepoTags</c>, <c>repositories</c>) are dropped, so that a task's artifact can never re-point
/// a name other tasks run (the engine runs the loaded image by id); and an OCI layout without the
/// <c>manifest.json</c> of <c>docker save</c>, which Docker before 25 cannot load, gets one written
/// from its index and manifest.
/// </summary>
internal static partial class ImageArchive
{
    // Manifests and configs are a few KiB: blobs up to this size are kept while streaming, in case
    // the archive turns out to be an OCI layout whose index is read last.
    private const int MaxKeptBlob = 1 << 20;
    private const long MaxKeptBytes = 16L << 20;
    private const int MaxMetadata = 16 << 20;

    /// <summary>How long a failed load waits for the rewrite's own verdict on the archive.</summary>
    private static readonly TimeSpan RewriteVerdictWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Loads the archive in <paramref name="file"/> and returns the id of its (first) image. Throws
    /// <see cref="ImageArchiveException"/> when the file is not a loadable image archive (its reason,
    /// or the daemon's), <see cref="DockerApiException"/> and network errors for a daemon that fails.
    /// </summary>
    public static async Task<string> LoadAsync(DockerClient client, string file, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rewrite = Task.Run(() => RewriteAsync(file, pipe.Writer, stop.Token), CancellationToken.None);
        var progress = new LoadProgress();
        Exception? loadError = null;
        try
        {
            var body = pipe.Reader.AsStream();
            await using (body.ConfigureAwait(false))
            {
                await client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, body, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            loadError = e;
        }
        finally
        {
            // The daemon is done reading (the pipe's reader is completed, so the rewrite's writes no longer wait).
            // When it failed, a rewrite that is failing on its own gets a moment to say why: its reason names what
            // is wrong with the archive, where the daemon, often first to notice, says only that it could not load
            // it. Then a rewrite still going is stopped: it has nobody to write to.
            if (loadError is not null)
            {
                await Task.WhenAny(rewrite, Task.Delay(RewriteVerdictWait, TimeProvider.System, CancellationToken.None)).ConfigureAwait(false);
            }

            await stop.CancelAsync().ConfigureAwait(false);
        }

        string? configId = null;
        try
        {
            configId = await rewrite.ConfigureAwait(false);
        }
        catch (ImageArchiveException)
        {
            // What is wrong with the archive explains the daemon's failure too.
            throw;
        }
        catch (OperationCanceledException) when (loadError is not null || cancellationToken.IsCancellationRequested)
        {
        }

        cancellationToken.ThrowIfCancellationRequested();
        switch (loadError)
        {
            case DockerApiException e:
                throw new ImageArchiveException($"the Docker daemon could not load it: {ImageStore.MessageOf(e)}", e);
            case not null:
                throw loadError;
        }

        if (progress.Error is { } error)
        {
            throw new ImageArchiveException($"the Docker daemon could not load it: {error}");
        }

        return progress.ImageId ?? configId ?? throw new ImageArchiveException("the Docker daemon loaded it but did not say which image it holds.");
    }

    /// <summary>Opens the file, undoing its compression (gzip, zstd, lz4 frames), which its first bytes tell.</summary>
    public static Stream OpenDecompressed(string file)
    {
        var raw = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[4];
        var read = raw.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        raw.Position = 0;
        magic = magic[..read];
        return magic switch
        {
            [0x1f, 0x8b, ..] => new GZipStream(raw, CompressionMode.Decompress),
            [0x28, 0xb5, 0x2f, 0xfd] => new DecompressionStream(raw),
            [0x04, 0x22, 0x4d, 0x18] => LZ4Stream.Decode(raw),
            _ => raw,
        };
    }

    /// <summary>
    /// Copies the archive into <paramref name="output"/> without its names, with a <c>manifest.json</c>
    /// (written from the OCI index when it has none); returns the image id its manifest names.
    /// </summary>
    private static async Task<string> RewriteAsync(string file, PipeWriter output, CancellationToken cancellationToken)
    {
        try
        {
            var target = output.AsStream(leaveOpen: true);
            await using (target.ConfigureAwait(false))
            {
                var id = await CopyAsync(file, target, cancellationToken).ConfigureAwait(false);
                await output.CompleteAsync().ConfigureAwait(false);
                return id;
            }
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e).ConfigureAwait(false);
            if (e is OperationCanceledException or ImageArchiveException)
            {
                throw;
            }

            // Not decompressible, not a tar archive, or cut short.
            throw new ImageArchiveException($"it is not a tar archive, plain or gzip, zstd or lz4 compressed ({e.Message})", e);
        }
    }

    private static async Task<string> CopyAsync(string file, Stream target, CancellationToken cancellationToken)
    {
        var input = OpenDecompressed(file);
        await using (input.ConfigureAwait(false))
        {
            var reader = new TarReader(input);
            var writer = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true);
            await using (reader.ConfigureAwait(false))
            await using (writer.ConfigureAwait(false))
            {
                JArray? manifest = null;
                byte[]? index = null;
                var kept = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                long keptBytes = 0;
                var entries = 0;
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    entries++;
                    var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    switch (name)
                    {
                        case "manifest.json":
                            manifest = JToken.Parse(Encoding.UTF8.GetString(await ReadAsync(entry, name, cancellationToken).ConfigureAwait(false))) as JArray
                                ?? throw new ImageArchiveException("its manifest.json is not a list of images");
                            continue;
                        case "repositories":
                            continue;
                        case "index.json":
                            index = await ReadAsync(entry, name, cancellationToken).ConfigureAwait(false);
                            entry.DataStream = new MemoryStream(index);
                            break;
                        default:
                            if (name.StartsWith("blobs/", StringComparison.Ordinal) && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                                && entry.Length <= MaxKeptBlob && keptBytes + entry.Length <= MaxKeptBytes)
                            {
                                var blob = await ReadAsync(entry, name, cancellationToken).ConfigureAwait(false);
                                kept[name] = blob;
                                keptBytes += blob.Length;
                                entry.DataStream = new MemoryStream(blob);
                            }

                            break;
                    }

                    // TarWriter copies unseekable data only into seekable archives; the length is known from the header.
                    // (Replacing an entry's data disposes the old, which the wrapper still reads: the copy gets it.)
                    await writer.WriteEntryAsync(entry.DataStream is { CanSeek: false } data ? Copy(entry, new KnownLengthStream(data, entry.Length)) : entry, cancellationToken).ConfigureAwait(false);
                }

                if (entries == 0)
                {
                    throw new ImageArchiveException("it is an empty archive");
                }

                manifest ??= index is not null
                    ? FromOciLayout(index, kept)
                    : throw new ImageArchiveException("it has neither the manifest.json of a docker save tarball nor the index.json of an OCI image layout");
                if (manifest.Count == 0 || manifest[0] is not JObject first || first["Config"]?.Value<string>() is not { } config || ConfigDigest().Match(config) is not { Success: true } digest)
                {
                    throw new ImageArchiveException("its manifest.json names no image config");
                }

                foreach (var image in manifest.OfType<JObject>())
                {
                    image.Remove("RepoTags");
                }

                var bytes = Encoding.UTF8.GetBytes(manifest.ToString(Formatting.None));
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(bytes), Mode = (UnixFileMode)0x1a4 }, cancellationToken).ConfigureAwait(false);
                return "sha256:" + digest.Groups["hex"].Value;
            }
        }
    }

    private static PaxTarEntry Copy(TarEntry entry, Stream data)
    {
        var copy = new PaxTarEntry(entry.EntryType == TarEntryType.V7RegularFile ? TarEntryType.RegularFile : entry.EntryType, entry.Name)
        {
            Mode = entry.Mode,
            ModificationTime = entry.ModificationTime,
            Uid = entry.Uid,
            Gid = entry.Gid,
            DataStream = data,
        };
        if (entry is PosixTarEntry posix)
        {
            copy.UserName = posix.UserName;
            copy.GroupName = posix.GroupName;
        }

        return copy;
    }

    /// <summary>The <c>manifest.json</c> of <c>docker save</c> for the OCI layout's image (this machine's platform in a multi-platform index, else the first).</summary>
    private static JArray FromOciLayout(byte[] index, Dictionary<string, byte[]> blobs)
    {
        var document = Json(index, "index.json");
        for (var depth = 0; depth < 3; depth++)
        {
            if (document["manifests"] is JArray manifests)
            {
                var chosen = manifests.OfType<JObject>().FirstOrDefault(m => m["platform"]?["os"]?.Value<string>() == "linux" && m["platform"]?["architecture"]?.Value<string>() == Architecture)
                    ?? manifests.OfType<JObject>().FirstOrDefault()
                    ?? throw new ImageArchiveException("its OCI index lists no image");
                document = Json(Blob(blobs, chosen["digest"]), "a manifest");
                continue;
            }

            if (document["config"]?["digest"] is { } config && document["layers"] is JArray layers)
            {
                return
                [
                    new JObject
                    {
                        ["Config"] = BlobPath(config),
                        ["Layers"] = new JArray(layers.Select(l => BlobPath(l["digest"]))),
                    },
                ];
            }

            break;
        }

        throw new ImageArchiveException("its OCI index leads to no image manifest (with a config and layers)");
    }

    private static string Architecture => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        _ => "amd64",
    };

    private static string BlobPath(JToken? digest) => digest?.Value<string>() is { } text && Digest().Match(text) is { Success: true } match
        ? "blobs/sha256/" + match.Groups["hex"].Value
        : throw new ImageArchiveException($"its OCI layout has a digest that is not sha256:<64 hex digits>: '{digest}'");

    private static byte[] Blob(Dictionary<string, byte[]> blobs, JToken? digest) => blobs.TryGetValue(BlobPath(digest), out var blob)
        ? blob
        : throw new ImageArchiveException($"its OCI layout has no blob (of at most {MaxKeptBlob / 1024} KiB) for the manifest {digest}");

    private static JObject Json(byte[] bytes, string what)
    {
        try
        {
            return JToken.Parse(Encoding.UTF8.GetString(bytes)) as JObject ?? throw new ImageArchiveException($"{what} of its OCI layout is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ImageArchiveException($"{what} of its OCI layout is not JSON: {e.Message}", e);
        }
    }

    private static async Task<byte[]> ReadAsync(TarEntry entry, string name, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxMetadata || entry.DataStream is null)
        {
            throw new ImageArchiveException($"its {name} is {(entry.DataStream is null ? "not a file" : "larger than " + (MaxMetadata >> 20) + " MiB")}");
        }

        var buffer = new byte[entry.Length];
        await entry.DataStream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    [GeneratedRegex("^sha256:(?<hex>[a-f0-9]{64})$")]
    private static partial Regex Digest();

    // docker save names the config <hex>.json; an OCI layout blobs/sha256/<hex>.
    [GeneratedRegex("^(?:blobs/sha256/)?(?<hex>[a-f0-9]{64})(?:\\.json)?$")]
    private static partial Regex ConfigDigest();

    [GeneratedRegex("Loaded image ID: (?<id>sha256:[a-f0-9]{64})")]
    private static partial Regex LoadedId();

    /// <summary>Keeps the daemon's error and the id it reports for the loaded image.</summary>
    private sealed class LoadProgress : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public string? ImageId { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error is { Message: { } error })
            {
                Error = error;
            }
            else if (ImageId is null && value.Stream is { } stream && LoadedId().Match(stream) is { Success: true } match)
            {
                ImageId = match.Groups["id"].Value;
            }
        }
    }
}

/// <summary>A forward-only stream that tells its length (and stays where it is when asked to seek there), as TarWriter wants of entry data.</summary>
internal sealed class KnownLengthStream(Stream inner, long length) : Stream
{
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };
        return target == position ? position : throw new NotSupportedException("The stream reads forward only.");
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        position += read;
        return read;
    }
}

/// <summary>An image artifact that is not a loadable image archive; the message says why, to follow "it is ...".</summary>
internal sealed class ImageArchiveException : Exception
{
    public ImageArchiveException(string message)
        : base(message)
    {
    }

    public ImageArchiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImageArchiveException()
    {
    }
}
