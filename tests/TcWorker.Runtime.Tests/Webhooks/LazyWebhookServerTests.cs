using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Webhooks;

namespace TcWorker.Runtime.Tests.Webhooks;

public sealed class LazyWebhookServerTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Nothing_listens_until_the_first_attach_then_every_hook_is_served_by_one_server_until_disposed()
    {
        var server = new LazyWebhookServer(new WebhookServerOptions(), NullLoggerFactory.Instance);
        Assert.False(server.IsStarted);

        var attaches = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => server.AttachAsync(context => context.Response.WriteAsync($"hook {i}"))));
        Assert.True(server.IsStarted);
        Assert.Single(attaches.Select(a => a.Url.Authority).Distinct());
        for (var i = 0; i < attaches.Length; i++)
        {
            Assert.Equal($"hook {i}", await Http.GetStringAsync(attaches[i].Url));
        }

        await attaches[0].DisposeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(attaches[0].Url)).StatusCode);

        await server.DisposeAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync(attaches[1].Url));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.AttachAsync(_ => Task.CompletedTask));
    }

    [Fact]
    public async Task Disposing_a_server_that_never_started_starts_nothing()
    {
        var server = new LazyWebhookServer(new WebhookServerOptions(), NullLoggerFactory.Instance);
        await server.DisposeAsync();
        Assert.False(server.IsStarted);
    }

    [Fact]
    public async Task A_failed_start_fails_the_attach_with_its_error_and_the_next_attach_tries_again()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var options = new WebhookServerOptions { Mode = "public", Listen = taken.LocalEndpoint.ToString(), AdvertisedBaseUrl = "http://127.0.0.1:1" };
        await using var server = new LazyWebhookServer(options, NullLoggerFactory.Instance);

        await Assert.ThrowsAnyAsync<IOException>(() => server.AttachAsync(_ => Task.CompletedTask));
        Assert.False(server.IsStarted);

        taken.Stop();
        var hook = await server.AttachAsync(context => context.Response.WriteAsync("up"));
        Assert.True(server.IsStarted);
        Assert.Equal("http://127.0.0.1:1", hook.Url.GetLeftPart(UriPartial.Authority));
    }
}
