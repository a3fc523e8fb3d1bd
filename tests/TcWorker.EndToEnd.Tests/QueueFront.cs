using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// A queue in front of the local one, on loopback: it passes every call through (the local queue must trust
/// loopback as a proxy, so that Hawk signatures made for the front's port verify) and hands each successful
/// claimWork response to a test's function before the worker gets it.
/// </summary>
internal sealed class QueueFront : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly Func<byte[], Task<byte[]>> claimWork;

    private QueueFront(WebApplication app, Func<byte[], Task<byte[]>> claimWork)
    {
        this.app = app;
        this.claimWork = claimWork;
    }

    public string RootUrl { get; private set; } = string.Empty;

    /// <param name="queueRootUrl">The local queue's root URL.</param>
    /// <param name="claimWork">Given the body of a successful claimWork response, returns the body the worker gets.</param>
    public static async Task<QueueFront> StartAsync(string queueRootUrl, Func<byte[], Task<byte[]>> claimWork)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var front = new QueueFront(app, claimWork);
        app.Run(context => front.ForwardAsync(context, queueRootUrl));
        await app.StartAsync();
        front.RootUrl = app.Urls.Single();
        return front;
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        http.Dispose();
    }

    private async Task ForwardAsync(HttpContext context, string queueRootUrl)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), queueRootUrl + context.Request.Path + context.Request.QueryString);
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (body.Length > 0 || context.Request.ContentLength is not null)
        {
            request.Content = new ByteArrayContent(body.ToArray());
        }

        foreach (var header in context.Request.Headers)
        {
            if (header.Key is "Host" or "Connection" or "Transfer-Encoding" or "Content-Length")
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
        }

        request.Headers.TryAddWithoutValidation("X-Forwarded-Port", new Uri(RootUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Whatever the worker does meanwhile (it may give up waiting): what the queue did, it did.
        using var response = await http.SendAsync(request, CancellationToken.None);
        var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
        if (context.Request.Path.StartsWithSegments("/api/queue/v1/claim-work") && response.IsSuccessStatusCode)
        {
            bytes = await claimWork(bytes);
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Content-Length" or "Connection"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await context.Response.Body.WriteAsync(bytes);
    }
}
