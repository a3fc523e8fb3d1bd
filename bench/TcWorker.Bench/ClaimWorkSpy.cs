using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TcWorker.Bench;

/// <summary>
/// A loopback TCP relay in front of the queue that notes when the first claimWork request
/// (<c>POST .../claim-work/...</c>) passes, so a worker's start-up is measured on the queue's side.
/// </summary>
internal sealed class ClaimWorkSpy : IAsyncDisposable
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("/claim-work/");
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint upstream;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;
    private TaskCompletionSource<long> firstClaim = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClaimWorkSpy(Uri upstreamRootUrl)
    {
        upstream = new IPEndPoint(IPAddress.Loopback, upstreamRootUrl.Port);
        listener.Start();
        accepting = AcceptAsync();
    }

    public string RootUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>The <see cref="Stopwatch"/> timestamp of the first claimWork request since the last <see cref="Reset"/>.</summary>
    public Task<long> FirstClaimWork => firstClaim.Task;

    public void Reset() => firstClaim = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(upstream, stopping.Token);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), watch: true, both.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), watch: false, both.Token);
                await Task.WhenAny(up, down);
                await both.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool watch, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (watch && !firstClaim.Task.IsCompleted && buffer.AsSpan(0, read).IndexOf(Marker) >= 0)
                {
                    firstClaim.TrySetResult(Stopwatch.GetTimestamp());
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }
}
