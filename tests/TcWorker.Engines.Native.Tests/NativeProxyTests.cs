using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>The native engine's proxies: a loopback listener, an unguessable path per proxy, WebSockets.</summary>
public sealed class NativeProxyTests() : EngineTestBase(() => new NativeEngineProvider(), () => new JObject())
{
    [Fact]
    public async Task A_proxy_serves_websockets_below_an_unguessable_loopback_url_until_its_sandbox_builder_is_disposed()
    {
        using var http = new HttpClient();
        Uri url;
        using var socket = new ClientWebSocket();
        await using (var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = NativeEngineTests.Shell("true") }))
        {
            url = (await builder.AttachProxyAsync("echo", EchoAsync)).Url;
            Assert.Equal("127.0.0.1", url.Host);
            Assert.Matches("^/[A-Za-z0-9_-]{43}/$", url.AbsolutePath);

            Assert.Equal("path=/v1/x base=" + url.AbsolutePath.TrimEnd('/'), await http.GetStringAsync(new Uri(url, "v1/x")));
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(url, "/guess/v1/x"))).StatusCode);

            await socket.ConnectAsync(new UriBuilder(url) { Scheme = "ws", Path = url.AbsolutePath + "socket" }.Uri, CancellationToken.None);
            await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[64];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        // Detached: the URL answers 404 and the open WebSocket is cut.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url)).StatusCode);
        await Assert.ThrowsAnyAsync<WebSocketException>(async () =>
        {
            var buffer = new byte[64];
            await socket.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        });
    }

    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await context.Response.WriteAsync($"path={context.Request.Path} base={context.Request.PathBase}");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
        }
    }
}
