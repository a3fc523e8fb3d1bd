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
        // Once told to hang, the relay in front of the queue swallows every request and answers nothing.
        using var hang = new CancellationTokenSource();
        await using var relay = new LoopbackRelay(new Uri(deployment.Server.RootUrl), _ => !hang.IsCancellationRequested);
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
            await hang.CancelAsync();
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
}
