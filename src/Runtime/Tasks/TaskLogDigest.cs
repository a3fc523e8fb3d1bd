using System.Buffers;
using System.Security.Cryptography;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// SHA-256 and SHA-512 of a task log, computed while the log is written, so that its upload as an
/// <c>object</c> artifact sends the bytes without reading every one of them through the digests after
/// the task ended. It follows the log as a reader does (its own handle, only below the published
/// length), in blocks of up to 1 MiB, and pauses briefly after a short read (a pause the log's close cuts
/// short), so a task that writes in small pieces is digested in large ones and never costs a wake-up per write.
/// </summary>
/// <remarks>
/// The result covers exactly the file's bytes: when the closed file is not as long as the bytes
/// digested (a failed write may leave part of its bytes past the published length), there is no
/// result and the upload digests what it sends, as it does without this class.
/// </remarks>
internal sealed class TaskLogDigest : IAsyncDisposable
{
    private const int BlockSize = 1 << 20;

    /// <summary>
    /// The pause after a short read: batches the work, so it runs on the system clock (a test's fake
    /// clock must not stop it). A closed log is read to its end without pauses.
    /// </summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    private readonly CancellationTokenSource stop = new();
    private readonly Task<ObjectHashes?> running;

    private TaskLogDigest(TaskLog log) => running = Task.Run(() => DigestAsync(log, stop.Token));

    /// <summary>
    /// The digests of the whole log once it is closed and digested to its end, or <see langword="null"/>
    /// when they cannot stand for the file (see the remarks) or the digest was stopped.
    /// </summary>
    public Task<ObjectHashes?> Completion => running;

    /// <summary>Starts digesting the log from its first byte (whatever was written already is included).</summary>
    public static TaskLogDigest Follow(TaskLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new TaskLogDigest(log);
    }

    /// <summary>Stops the digest (when it has not finished) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        stop.Dispose();
    }

    private static async Task<ObjectHashes?> DigestAsync(TaskLog log, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            long digested = 0;
            var reader = log.OpenReader();
            await using (reader.ConfigureAwait(false))
            {
                int read;
                while ((read = await reader.ReadAsync(buffer.AsMemory(0, BlockSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    sha256.AppendData(buffer, 0, read);
                    sha512.AppendData(buffer, 0, read);
                    digested += read;
                    if (read < BlockSize && !log.IsClosed)
                    {
                        // Cut short when the log closes: the upload waits for the digest's end, and must not
                        // wait out a pause after the last byte.
                        await Task.WhenAny(Task.Delay(Pause, TimeProvider.System, cancellationToken), log.WhenClosed).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }

            if (new FileInfo(log.Path).Length != digested)
            {
                return null;
            }

            return new ObjectHashes
            {
                Sha256 = Convert.ToHexStringLower(sha256.GetHashAndReset()),
                Sha512 = Convert.ToHexStringLower(sha512.GetHashAndReset()),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The upload digests what it sends instead.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
