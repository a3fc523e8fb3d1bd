using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Runtime.Webhooks;
using TcWorker.Workers;

namespace TcWorker.Runtime.Tests.Webhooks;

/// <summary>Handlers accept WebSockets through the webhook server, in the localhost and the public (TLS) mode.</summary>
public sealed class WebhookWebSocketTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_websocket_echoes_through_a_hook_in_localhost_mode()
    {
        await using var server = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);

        await AssertEchoesAsync(server, _ => { });
    }

    [Fact]
    public async Task A_websocket_echoes_through_a_hook_in_public_mode_over_tls()
    {
        using var certificate = SelfSignedFor127001();
        var pfx = folder.NewFile();
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"));
        var port = FreePort();
        await using var server = await WebhookServer.StartAsync(
            new WebhookServerOptions { Mode = "public", Listen = $"127.0.0.1:{port}", AdvertisedBaseUrl = $"https://127.0.0.1:{port}", CertificatePath = pfx, CertificatePassword = "test-password" },
            NullLoggerFactory.Instance);

        await AssertEchoesAsync(server, options => options.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString());

        // Without trusting the certificate the client refuses: it is really TLS.
        using var untrusting = new ClientWebSocket();
        var hook = await server.AttachAsync(EchoAsync);
        await Assert.ThrowsAsync<WebSocketException>(() => untrusting.ConnectAsync(WebSocketUrl(hook.Url), CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Detaching_a_hook_aborts_its_open_websockets_and_refuses_new_ones()
    {
        await using var server = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);
        var handlerEnded = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hook = await server.AttachAsync(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            try
            {
                await socket.ReceiveAsync(new byte[16], context.RequestAborted);
                handlerEnded.TrySetResult(null);
            }
            catch (Exception e)
            {
                handlerEnded.TrySetResult(e);
            }
        });
        using var client = new ClientWebSocket();
        await client.ConnectAsync(WebSocketUrl(hook.Url), CancellationToken.None).WaitAsync(Timeout);

        await hook.DisposeAsync();

        Assert.NotNull(await handlerEnded.Task.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<Exception>(() => client.ReceiveAsync(new byte[16], CancellationToken.None).WaitAsync(Timeout));
        using var late = new ClientWebSocket();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => late.ConnectAsync(WebSocketUrl(hook.Url), CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains("404", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_stops_answering_pings_is_dropped()
    {
        await using var server = await WebhookServer.StartAsync(
            new WebhookServerOptions { WebSocketKeepAliveInterval = TimeSpan.FromMilliseconds(100), WebSocketKeepAliveTimeout = TimeSpan.FromMilliseconds(300) },
            NullLoggerFactory.Instance);
        var handlerEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hook = await server.AttachAsync(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            try
            {
                await socket.ReceiveAsync(new byte[16], CancellationToken.None);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
            }

            handlerEnded.TrySetResult();
        });

        // A client that never reads never answers the server's pings.
        using var silent = new ClientWebSocket();
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        await silent.ConnectAsync(WebSocketUrl(hook.Url), CancellationToken.None).WaitAsync(Timeout);

        await handlerEnded.Task.WaitAsync(Timeout);
    }

    /// <summary>Connects below the hook's URL, checks the handler saw the hook's prefix removed, then echoes text and binary messages.</summary>
    private static async Task AssertEchoesAsync(IWebhookServer server, Action<ClientWebSocketOptions> configure)
    {
        var hook = await server.AttachAsync(EchoAsync);
        await using (hook)
        {
            using var client = new ClientWebSocket();
            configure(client.Options);
            await client.ConnectAsync(WebSocketUrl(new Uri(hook.Url, "session/1?x=1")), CancellationToken.None).WaitAsync(Timeout);

            Assert.Equal($"{hook.Url.AbsolutePath.TrimEnd('/')}|/session/1|?x=1", await ReceiveTextAsync(client));
            foreach (var message in new[] { "hello", new string('x', 200_000), "ünïcødé" })
            {
                await client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                Assert.Equal(message, await ReceiveTextAsync(client));
            }

            byte[] binary = [0, 1, 0xFF, 0xC0];
            await client.SendAsync(binary, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[16];
            var received = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(WebSocketMessageType.Binary, received.MessageType);
            Assert.Equal(binary, buffer[..received.Count]);

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        }
    }

    /// <summary>Sends the path it saw, then echoes every message until the client closes.</summary>
    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await socket.SendAsync(Encoding.UTF8.GetBytes($"{context.Request.PathBase}|{context.Request.Path}|{context.Request.QueryString}"), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                return;
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                await socket.SendAsync(message.ToArray(), received.MessageType, endOfMessage: true, context.RequestAborted);
                message.SetLength(0);
            }
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket client)
    {
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(WebSocketMessageType.Text, received.MessageType);
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    private static Uri WebSocketUrl(Uri url) => new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws" }.Uri;

    private static X509Certificate2 SelfSignedFor127001()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
