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
