using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The real tc-worker binary under a service manager that is a unix datagram socket of the test's own
/// (NOTIFY_SOCKET, as systemd gives a Type=notify unit), with systemd's watchdog (WATCHDOG_USEC).
/// </summary>
public sealed class ServiceManagerTests
{
    [Fact]
    public async Task Under_systemd_the_worker_is_ready_pings_the_watchdog_while_it_claims_not_while_the_queue_hangs_and_says_it_stops()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var relay = new HangingRelay(new Uri(deployment.Server.RootUrl));
        var config = deployment.Config(tasks: 10);
        config["rootUrl"] = relay.RootUrl;
        var configFile = Path.Combine(deployment.Folder, "worker.json");
        await File.WriteAllTextAsync(configFile, config.ToString());
        var socketPath = Path.Combine(deployment.Folder, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = Channel.CreateUnbounded<string>();
        _ = ReceiveAsync(socket, messages.Writer);

        // A window of 5 s: pings every 2.5 s; the local queue's long polls here last 2 s.
        var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = deployment.Folder };
        foreach (var arg in new[] { "work", "--config", configFile })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = socketPath;
        start.Environment["WATCHDOG_USEC"] = "5000000";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.Equal("READY=1", await NextAsync(messages.Reader, TimeSpan.FromSeconds(60)));
            Assert.Equal("WATCHDOG=1", await NextAsync(messages.Reader, TimeSpan.FromSeconds(10)));
            Assert.Equal("WATCHDOG=1", await NextAsync(messages.Reader, TimeSpan.FromSeconds(10)));

            // The queue stops answering: the claimWork in flight hangs, the claim loop stalls, pings stop.
            relay.Hang = true;
            await Task.Delay(TimeSpan.FromSeconds(8));
            while (messages.Reader.TryRead(out var earlier))
            {
                Assert.Equal("WATCHDOG=1", earlier);
            }

            var during = await AllWithinAsync(messages.Reader, TimeSpan.FromSeconds(6));
            Assert.True(during.Count == 0, $"sent while stalled: {string.Join(", ", during)}");

            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            Assert.Equal("STOPPING=1", await NextAsync(messages.Reader, TimeSpan.FromSeconds(30)));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            Assert.Contains("The claim loop has not moved for 5 s", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task ReceiveAsync(Socket socket, ChannelWriter<string> messages)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var count = await socket.ReceiveAsync(buffer, SocketFlags.None);
                messages.TryWrite(Encoding.UTF8.GetString(buffer, 0, count).Trim());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            messages.TryComplete();
        }
    }

    private static async Task<string> NextAsync(ChannelReader<string> messages, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await messages.ReadAsync(cancel.Token);
    }

    private static async Task<List<string>> AllWithinAsync(ChannelReader<string> messages, TimeSpan span)
    {
        var all = new List<string>();
        using var cancel = new CancellationTokenSource(span);
        try
        {
            while (true)
            {
                all.Add(await messages.ReadAsync(cancel.Token));
            }
        }
        catch (OperationCanceledException)
        {
            return all;
        }
    }

    /// <summary>A TCP relay in front of the queue that, once told to hang, swallows every request and answers nothing.</summary>
    private sealed class HangingRelay : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Uri upstream;
        private readonly Task accepting;

        public HangingRelay(Uri upstream)
        {
            this.upstream = upstream;
            listener.Start();
            accepting = AcceptAsync();
        }

        public volatile bool Hang;

        public string RootUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
            stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
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
                    await server.ConnectAsync(upstream.Host, upstream.Port, stop.Token);
                    var up = PumpAsync(client.GetStream(), server.GetStream(), swallowWhenHanging: true);
                    var down = PumpAsync(server.GetStream(), client.GetStream(), swallowWhenHanging: false);
                    await Task.WhenAny(up, down);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // One side went away.
                }
            }
        }

        private async Task PumpAsync(NetworkStream from, NetworkStream to, bool swallowWhenHanging)
        {
            var buffer = new byte[16384];
            int count;
            while ((count = await from.ReadAsync(buffer, stop.Token)) > 0)
            {
                if (!(swallowWhenHanging && Hang))
                {
                    await to.WriteAsync(buffer.AsMemory(0, count), stop.Token);
                }
            }
        }
    }
}
