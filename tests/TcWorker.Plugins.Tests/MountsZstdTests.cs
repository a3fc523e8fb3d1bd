using System.Diagnostics;
using System.Formats.Tar;
using Moq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Plugins.Mounts;

namespace TcWorker.Plugins.Tests;

/// <summary>zstd through the system's tool: the same bytes as the managed decoder, damage noticed, names still checked.</summary>
public sealed class MountsZstdTests : IDisposable
{
    private const string NoTool = "Debian's zstd (.ci/apt-packages.txt) is not installed: the tool path is not covered.";
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-zstd-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public async Task The_tool_gives_the_bytes_the_managed_decoder_gives_and_ends_only_after_it_succeeded()
    {
        Skip.If(ZstdProcessStream.FindTool() is null, NoTool);
        var content = new byte[3 << 20];
        new Random(15).NextBytes(content.AsSpan(0, 1 << 20));
        var file = await CompressAsync("data", content);

        await using (var tool = Formats.OpenDecompressed(file, "zst"))
        {
            Assert.IsType<ZstdProcessStream>(tool);
            Assert.Equal(content, await ReadAllAsync(tool));
        }

        await using var managed = Formats.Decompress(File.OpenRead(file), "zst");
        Assert.Equal(content, await ReadAllAsync(managed));
    }

    [SkippableFact]
    public async Task A_truncated_file_throws_with_the_tools_message_and_disposing_early_stops_the_tool()
    {
        Skip.If(ZstdProcessStream.FindTool() is null, NoTool);
        var content = new byte[4 << 20];
        new Random(16).NextBytes(content);
        var file = await CompressAsync("data", content);
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await using var stream = Formats.OpenDecompressed(file, "zst");
            await ReadAllAsync(stream);
        });
        Assert.StartsWith("zstd: ", error.Message, StringComparison.Ordinal);

        // Read a little, then give up: the tool is killed, not waited for.
        await File.WriteAllBytesAsync(file, bytes);
        var early = Formats.OpenDecompressed(file, "zst");
        Assert.True(await early.ReadAsync(new byte[16]) > 0);
        var clock = Stopwatch.StartNew();
        await early.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [SkippableFact]
    public async Task A_tar_zst_read_through_the_tool_still_refuses_an_entry_leading_outside()
    {
        Skip.If(ZstdProcessStream.FindTool() is null, NoTool);
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "ok.txt") { DataStream = new MemoryStream("ok"u8.ToArray()) });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "../escaped.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }

        var file = await CompressAsync("a.tar", tar.ToArray());
        var builder = new Mock<IVolumeBuilder>();
        var error = await Assert.ThrowsAsync<MalformedPayloadException>(() => new ArchiveExtractor(builder.Object).ExtractAsync(file, "tar.zst", CancellationToken.None));
        Assert.Contains("'../escaped.txt' leads outside the target folder", error.Message, StringComparison.Ordinal);
        builder.Verify(b => b.WriteFileAsync("ok.txt", It.IsAny<Stream>(), It.IsAny<VolumeEntryOptions>(), It.IsAny<CancellationToken>()), Times.Once);
        builder.Verify(b => b.WriteFileAsync(It.Is<string>(p => p.Contains("escaped", StringComparison.Ordinal)), It.IsAny<Stream>(), It.IsAny<VolumeEntryOptions>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    /// <summary>Writes <paramref name="content"/> and compresses it with the system's zstd; returns the .zst file.</summary>
    private async Task<string> CompressAsync(string name, byte[] content)
    {
        var plain = Path.Combine(folder, name);
        await File.WriteAllBytesAsync(plain, content);
        using var process = Process.Start(new ProcessStartInfo("zstd", ["-q", "-f", plain, "-o", plain + ".zst"]))!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return plain + ".zst";
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
