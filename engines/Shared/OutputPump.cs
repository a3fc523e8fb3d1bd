using System.Buffers;
using TcWorker.Tasks;

namespace TcWorker.Engines.Shared;

/// <summary>Copies a process's output into the task log as raw bytes, in chunks, never by lines.</summary>
internal static class OutputPump
{
    private const int BufferSize = 64 * 1024;

    /// <param name="source">The pipe to read until its end.</param>
    /// <param name="log">The task log.</param>
    /// <param name="capture">Also keeps the bytes here (bounded), or null.</param>
    /// <param name="cancellationToken">Abandons the pipe (a process outside our reach still holds it).</param>
    public static async Task CopyAsync(Stream source, ITaskLog log, BoundedCapture? capture, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                capture?.Append(buffer.AsSpan(0, read));
                await log.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Keeps the first bytes written to it, up to a limit. Thread-safe.</summary>
internal sealed class BoundedCapture(int limit)
{
    private readonly MemoryStream bytes = new();

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (bytes)
        {
            var room = limit - (int)bytes.Length;
            if (room > 0)
            {
                bytes.Write(data[..Math.Min(room, data.Length)]);
            }
        }
    }

    /// <summary>The captured text split into non-empty lines (invalid UTF-8 replaced).</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (bytes)
        {
            return System.Text.Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length)
                .Split('\n')
                .Select(l => l.TrimEnd('\r'))
                .Where(l => l.Length > 0)
                .ToList();
        }
    }
}
