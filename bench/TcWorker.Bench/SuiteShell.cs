using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using System.Web;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.Bench;

/// <content>Figure 13: the interactive shell's round trip.</content>
internal static partial class Suite
{
    /// <summary>
    /// 13. Shell round trip: one keystroke sent over the interactive shell's WebSocket (a native task's
    /// bash on a terminal, through the webhook server and the plugin) until its echo comes back, median
    /// over many keystrokes; against the same keystroke to a bare bash on a terminal of <c>script</c>
    /// through pipes.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> ShellAsync(Harness harness, BenchOptions options)
    {
        var baseline = await BareTerminalRoundTripsAsync(options.ShellKeystrokes);
        var queue = "bench/shell";
        var taskId = await harness.CreateTaskAsync(queue, new JObject
        {
            ["command"] = JArray.FromObject(new[] { new[] { "sh", "-c", "while [ ! -e done ]; do sleep 0.1; done" } }),
            ["maxRunTime"] = 600,
            ["features"] = new JObject { ["interactive"] = true },
        });
        var config = harness.Config(queue, capacity: 1, tasks: 1);
        config["plugins"]!["interactive"] = new JObject();
        using var lifetime = new WorkerLifetime();
        var worker = Harness.RunWorkerAsync(config, lifetime);
        try
        {
            var socketUrl = await ShellSocketAsync(harness, taskId);
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(socketUrl, CancellationToken.None);
            var received = Channel.CreateUnbounded<byte[]>();
            var reading = ReceiveAllAsync(socket, received.Writer);
            var through = await RoundTripsAsync(m => socket.SendAsync(Prefixed(m), WebSocketMessageType.Binary, true, CancellationToken.None), received.Reader, options.ShellKeystrokes);
            await socket.SendAsync(Prefixed("\u0015touch done\n"u8.ToArray()), WebSocketMessageType.Binary, true, CancellationToken.None);
            await harness.WaitResolvedAsync(taskId, TimeSpan.FromSeconds(60));
            await reading;
            var median = Stats.Median(through);
            return [new($"shell round trip (keystroke to echo, native task's bash over the WebSocket), median of {through.Count}", "ms", median, Stats.Median(baseline), median / Stats.Median(baseline), "< 5 ms", median < 5)];
        }
        finally
        {
            lifetime.StopNow();
            await worker;
        }
    }

    private static byte[] Prefixed(byte[] input) => [1, .. input];

    private static async Task<Uri> ShellSocketAsync(Harness harness, string taskId)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var page = new Uri((await harness.Client.Queue.GetArtifactAsync(taskId, 0, "private/generic-worker/shell.html")).Url);
                return new Uri(HttpUtility.ParseQueryString(page.Query)["socketUrl"]!);
            }
            catch (TcWorker.Taskcluster.TaskclusterException) when (until.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task ReceiveAllAsync(WebSocket socket, ChannelWriter<byte[]> received)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                received.TryWrite(buffer[..result.Count]);
            }
        }
        catch (WebSocketException)
        {
        }

        received.TryComplete();
    }

    /// <summary>The baseline: bash on a terminal that <c>script</c> allocates, its input and output through pipes.</summary>
    private static async Task<List<double>> BareTerminalRoundTripsAsync(int keystrokes)
    {
        var info = new ProcessStartInfo("script", ["-q", "-f", "-c", "bash", "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var received = Channel.CreateUnbounded<byte[]>();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
            {
                received.Writer.TryWrite(buffer[..read]);
            }

            received.Writer.TryComplete();
        });
        var input = process.StandardInput.BaseStream;
        var times = await RoundTripsAsync(async m => { await input.WriteAsync(m); await input.FlushAsync(); }, received.Reader, keystrokes);
        await input.WriteAsync("\u0015exit\n"u8.ToArray());
        await input.FlushAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await reading;
        return times;
    }

    /// <summary>Waits for the shell's prompt, then times keystrokes ('x') to their echo; clears the line every 40 (Ctrl-U).</summary>
    private static async Task<List<double>> RoundTripsAsync(Func<byte[], Task> send, ChannelReader<byte[]> received, int keystrokes)
    {
        await DrainAsync(received, TimeSpan.FromMilliseconds(500));
        var times = new List<double>();
        for (var i = 0; i < keystrokes; i++)
        {
            var clock = Stopwatch.StartNew();
            await send("x"u8.ToArray());
            while (!(await received.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Contains((byte)'x'))
            {
            }

            times.Add(clock.Elapsed.TotalMilliseconds);
            if (i % 40 == 39)
            {
                await send([0x15]);
                await DrainAsync(received, TimeSpan.FromMilliseconds(50));
            }
        }

        return times;
    }

    /// <summary>Reads what comes until nothing has come for <paramref name="quiet"/>.</summary>
    private static async Task DrainAsync(ChannelReader<byte[]> received, TimeSpan quiet)
    {
        while (true)
        {
            using var timeout = new CancellationTokenSource(quiet);
            try
            {
                await received.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
