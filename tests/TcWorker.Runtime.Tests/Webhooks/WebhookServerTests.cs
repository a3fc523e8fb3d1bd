using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Webhooks;

namespace TcWorker.Runtime.Tests.Webhooks;

public sealed class WebhookServerTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private WebhookServer server = null!;

    public async Task InitializeAsync() => server = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task A_hook_serves_its_handler_with_the_prefix_removed_and_answers_404_once_detached()
    {
        var hook = await server.AttachAsync(context => context.Response.WriteAsync($"{context.Request.PathBase}|{context.Request.Path}|{context.Request.QueryString}"));
        Assert.Equal("127.0.0.1", hook.Url.Host);
        Assert.EndsWith("/", hook.Url.AbsolutePath, StringComparison.Ordinal);

        var body = await Http.GetStringAsync(new Uri(hook.Url, "logs/live.log?x=1"));
        var id = hook.Url.AbsolutePath.Trim('/');
        Assert.Equal($"/{id}|/logs/live.log|?x=1", body);
        Assert.Equal($"/{id}|/|", await Http.GetStringAsync(hook.Url));

        await hook.DisposeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(hook.Url, "logs/live.log"))).StatusCode);
        Assert.Equal(0, server.Count);
    }

    [Fact]
    public async Task Hook_ids_carry_at_least_128_random_bits_and_never_repeat()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            var hook = await server.AttachAsync(_ => Task.CompletedTask);
            var id = hook.Url.AbsolutePath.Trim('/');
            Assert.Matches("^[A-Za-z0-9_-]{43}$", id);
            Assert.True(ids.Add(id));
            await hook.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_body_larger_than_a_hook_may_read_is_refused_with_413()
    {
        var hook = await server.AttachAsync(async context =>
        {
            var read = 0L;
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
                {
                    read += n;
                }
            }
            catch (BadHttpRequestException e)
            {
                context.Response.StatusCode = e.StatusCode;
                return;
            }

            await context.Response.WriteAsync($"read {read}");
        });

        Assert.Equal("read 1000", await (await Http.PostAsync(hook.Url, new ByteArrayContent(new byte[1000]))).Content.ReadAsStringAsync());
        var big = await Http.PostAsync(hook.Url, new ByteArrayContent(new byte[200 * 1024]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        await hook.DisposeAsync();
    }

    [Fact]
    public async Task A_client_trickling_its_headers_is_cut_off_after_the_headers_timeout()
    {
        await using var strict = await WebhookServer.StartAsync(new WebhookServerOptions { RequestHeadersTimeout = TimeSpan.FromSeconds(1) }, NullLoggerFactory.Instance);
        var hook = await strict.AttachAsync(context => context.Response.WriteAsync("served"));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(hook.Url.Host, hook.Url.Port);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"GET {hook.Url.AbsolutePath} HTTP/1.1\r\nHost: x\r\n"));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var closed = false;
        while (started.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                // one header line every 200 ms: never the empty line that ends the head
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("X-Slow: 1\r\n"));
            }
            catch (System.Net.Sockets.SocketException)
            {
                closed = true;
                break;
            }

            if (socket.Poll(200_000, System.Net.Sockets.SelectMode.SelectRead))
            {
                var buffer = new byte[1024];
                var n = socket.Available > 0 ? await socket.ReceiveAsync(buffer) : 0;
                closed = n == 0 || System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("HTTP/1.1 408", StringComparison.Ordinal);
                break;
            }
        }

        Assert.True(closed, "the connection stayed open");
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal("served", await Http.GetStringAsync(hook.Url));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/nosuchhook/")]
    [InlineData("/nosuchhook")]
    public async Task Unknown_paths_answer_404(string path)
    {
        var response = await Http.GetAsync(new Uri(server.BaseUrl, path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("public", null, "http://w.example.com", "needs 'listen'")]
    [InlineData("public", "127.0.0.1:0", null, "needs 'advertisedBaseUrl'")]
    [InlineData("tunnel", null, null, "mode 'tunnel' is not one of localhost, public")]
    public async Task Bad_options_are_named(string mode, string? listen, string? advertised, string expected)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => WebhookServer.StartAsync(new WebhookServerOptions { Mode = mode, Listen = listen, AdvertisedBaseUrl = advertised }, NullLoggerFactory.Instance));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_mode_advertises_the_configured_base_url()
    {
        await using var publicServer = await WebhookServer.StartAsync(new WebhookServerOptions { Mode = "public", Listen = "127.0.0.1:0", AdvertisedBaseUrl = "https://worker-17.example.com:60023" }, NullLoggerFactory.Instance);
        var hook = await publicServer.AttachAsync(_ => Task.CompletedTask);
        Assert.StartsWith("https://worker-17.example.com:60023/", hook.Url.ToString(), StringComparison.Ordinal);
    }
}
