using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.LZMA;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.ZStandard;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The compressions and archive formats of generic-worker's payload that this plugin reads, and the
/// readers for them. gzip, zlib (<c>zz</c>) and brotli come with .NET; bzip2, xz, lzip and zstd with
/// SharpCompress (its zstd is ZstdSharp); lz4 frames with K4os.Compression.LZ4. No maintained .NET
/// library reads Snappy's framing (<c>sz</c>) nor MinLZ (<c>mz</c>): they are refused.
/// </summary>
internal static class Formats
{
    private static readonly string[] Compressions = ["br", "bz2", "gz", "lz", "lz4", "xz", "zst", "zz"];
    private static readonly string[] Archives = ["tar", "zip", "7z", "rar"];

    public static bool CanDecompress(string format) => Compressions.Contains(format, StringComparer.Ordinal);

    public static bool CanExtract(string format) =>
        Archives.Contains(format, StringComparer.Ordinal) || (format.StartsWith("tar.", StringComparison.Ordinal) && CanDecompress(format[4..]));

    /// <summary>What this worker reads, for error messages.</summary>
    public static string Describe(bool compressions) => compressions
        ? "it reads " + string.Join(", ", Compressions)
        : "it reads " + string.Join(", ", Archives) + " and tar." + string.Join(", tar.", Compressions);

    /// <summary>
    /// Opens a compressed file for reading decompressed: zstd through the system's <c>zstd</c> when there is
    /// one (<see cref="ZstdProcessStream"/>), everything else (and zstd without the tool) in process.
    /// </summary>
    /// <exception cref="ArgumentException">The format is not one <see cref="CanDecompress"/> accepts.</exception>
    public static Stream OpenDecompressed(string path, string format)
    {
        if (format == "zst" && ZstdProcessStream.FindTool() is { } tool)
        {
            return ZstdProcessStream.Open(tool, path);
        }

        return Decompress(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), format);
    }

    /// <summary>Wraps a compressed stream in one that reads it decompressed; disposing it disposes <paramref name="compressed"/>.</summary>
    /// <exception cref="ArgumentException">The format is not one <see cref="CanDecompress"/> accepts.</exception>
    public static Stream Decompress(Stream compressed, string format) => format switch
    {
        "gz" => new GZipStream(compressed, System.IO.Compression.CompressionMode.Decompress),
        "zz" => new ZLibStream(compressed, System.IO.Compression.CompressionMode.Decompress),
        "br" => new BrotliStream(compressed, System.IO.Compression.CompressionMode.Decompress),
        "bz2" => BZip2Stream.Create(compressed, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false),
        "xz" => new XZStream(compressed),
        "lz" => LZipStream.Create(compressed, SharpCompress.Compressors.CompressionMode.Decompress, leaveOpen: false),
        "zst" => new DecompressionStream(compressed, bufferSize: 0, checkEndOfStream: true, leaveOpen: false),
        "lz4" => LZ4Stream.Decode(compressed),
        _ => throw new ArgumentException($"The compression '{format}' is not supported.", nameof(format)),
    };
}
