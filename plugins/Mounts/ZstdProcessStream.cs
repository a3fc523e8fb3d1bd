using System.Diagnostics;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// A zstd file read decompressed through the system's <c>zstd -d</c> (Debian's <c>zstd</c> package), which
/// decompresses several times faster than the managed decoder and on its own core, while the caller reads
/// and writes the result. The tool only decompresses to a pipe: it never writes a file, so every safety
/// check of the caller (names, links, modes) still applies to what it produces. The end of the stream is
/// reported only after the tool exited successfully; a damaged or truncated file throws
/// <see cref="InvalidDataException"/> with the tool's message. Disposing kills a tool still running.
/// One reader at a time.
/// </summary>
internal sealed class ZstdProcessStream : Stream
{
    private readonly Process process;
    private readonly Stream output;
    private readonly Task<string> errors;
    private bool ended;

    private ZstdProcessStream(Process process)
    {
        this.process = process;
        output = process.StandardOutput.BaseStream;
        errors = process.StandardError.ReadToEndAsync();
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>The system's zstd, or null when none is on the PATH.</summary>
    public static string? FindTool()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "zstd");
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts <paramref name="tool"/> decompressing <paramref name="path"/>.</summary>
    public static ZstdProcessStream Open(string tool, string path)
    {
        var info = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-d", "-c", "-q", "--no-progress", "--", path })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new IOException($"Could not start {tool}.");
        process.StandardInput.Close();
        return new ZstdProcessStream(process);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = output.Read(buffer);
        if (read == 0 && buffer.Length > 0)
        {
            process.WaitForExit();
            End();
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read == 0 && buffer.Length > 0)
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            End();
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The tool's output ended: it must have exited successfully.</summary>
    private void End()
    {
        if (ended)
        {
            return;
        }

        ended = true;
        if (process.ExitCode != 0)
        {
            var message = errors.GetAwaiter().GetResult().Trim();
            throw new InvalidDataException($"zstd: {(message.Length > 0 ? message : $"exit code {process.ExitCode}")}");
        }
    }
}
