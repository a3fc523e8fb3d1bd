using System.Diagnostics;
using System.Text;
using TcWorker.Tests.Shared;

namespace TcWorker.Bench;

/// <summary>
/// A loopback TCP relay in front of the queue that notes when the first claimWork request
/// (<c>POST .../claim-work/...</c>) passes, so a worker's start-up is measured on the queue's side.
/// </summary>
internal sealed class ClaimWorkSpy : IAsyncDisposable
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("/claim-work/");
    private readonly LoopbackRelay relay;
    private TaskCompletionSource<long> firstClaim = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClaimWorkSpy(Uri upstreamRootUrl) => relay = new LoopbackRelay(upstreamRootUrl, Watch);

    public string RootUrl => relay.RootUrl;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the first claimWork request since the last <see cref="Reset"/>.</summary>
    public Task<long> FirstClaimWork => firstClaim.Task;

    public void Reset() => firstClaim = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask DisposeAsync() => relay.DisposeAsync();

    private bool Watch(ReadOnlyMemory<byte> chunk)
    {
        if (!firstClaim.Task.IsCompleted && chunk.Span.IndexOf(Marker) >= 0)
        {
            firstClaim.TrySetResult(Stopwatch.GetTimestamp());
        }

        return true;
    }
}
