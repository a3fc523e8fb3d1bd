using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker.Plugins.TaskclusterProxy;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;
using TcWorker.Tasks;

namespace TcWorker.Bench;

/// <content>The taskcluster proxy's figure.</content>
internal static partial class Suite
{
    /// <summary>
    /// 13. The taskcluster proxy: a Hawk-signed <c>GET /api/queue/v1/ping</c> to the local queue, through the
    /// proxy (the client sends it unsigned; the proxy signs it with temporary credentials restricted to the
    /// task's scopes and forwards it) against the same request signed by the client and sent directly. The
    /// proxy is served as the process engines serve proxies: a loopback Kestrel listener, below a path prefix.
    /// The two kinds alternate, over one kept-alive connection each. With them alternate the same ping through the
    /// proxy behind the native engine's peer check (the owner of the connecting socket, from /proc/net/tcp, looked up
    /// once per connection) and without it, over a kept-alive connection and over a new connection per request
    /// (where every request pays the lookup).
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> ProxyAsync(Harness harness, BenchOptions options)
    {
        var issued = harness.Server.RootCredentials.CreateTemporary(["queue:*"], TimeSpan.FromHours(1));
        var task = new BenchTaskContext(harness.Server.RootUrl, new TaskCredentials(issued.ClientId, issued.AccessToken, issued.Certificate, null));
        using var upstream = new HttpMessageInvoker(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var handler = new ProxyHandler(task, upstream, TimeProvider.System);

        const string prefix = "/benchmark-prefix";
        const string checkedPrefix = "/checked-prefix";
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => { k.AddServerHeader = false; k.Listen(IPAddress.Loopback, 0); });
        await using var app = builder.Build();
        app.Run(context =>
        {
            var isChecked = context.Request.Path.StartsWithSegments(checkedPrefix, out var rest);
            if (!isChecked)
            {
                context.Request.Path.StartsWithSegments(prefix, out rest);
            }
            else if (TcWorker.Engines.Shared.LoopbackPeers.FindOwner(context) is null)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }

            context.Request.PathBase = isChecked ? checkedPrefix : prefix;
            context.Request.Path = rest;
            return handler.HandleAsync(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        var proxyUrl = new Uri(address + prefix + "/api/queue/v1/ping");
        var checkedUrl = new Uri(address + checkedPrefix + "/api/queue/v1/ping");
        var directUrl = TaskclusterUrl.Api(harness.Server.RootUrl, "queue", "/ping");
        var signing = new TaskclusterCredentials(issued.ClientId, issued.AccessToken, issued.Certificate, ["queue:*"]);

        using var viaProxy = new HttpClient();
        using var direct = new HttpClient();
        using var viaChecked = new HttpClient();
        using var uncheckedFresh = new HttpClient();
        using var checkedFresh = new HttpClient();
        var proxied = new List<double>();
        var directly = new List<double>();
        var checkedKept = new List<double>();
        var uncheckedNew = new List<double>();
        var checkedNew = new List<double>();
        var warmUp = Math.Max(5, options.ProxyPings / 10);
        for (var i = 0; i < options.ProxyPings + warmUp; i++)
        {
            var time = await TimeAsync(() => viaProxy.SendAsync(new HttpRequestMessage(HttpMethod.Get, proxyUrl)));
            var baseline = await TimeAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, directUrl);
                request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(signing, "GET", directUrl, DateTimeOffset.UtcNow));
                return direct.SendAsync(request);
            });
            var kept = await TimeAsync(() => viaChecked.SendAsync(new HttpRequestMessage(HttpMethod.Get, checkedUrl)));
            var freshUnchecked = await TimeAsync(() => uncheckedFresh.SendAsync(Closing(proxyUrl)));
            var freshChecked = await TimeAsync(() => checkedFresh.SendAsync(Closing(checkedUrl)));
            if (i >= warmUp)
            {
                proxied.Add(time);
                directly.Add(baseline);
                checkedKept.Add(kept);
                uncheckedNew.Add(freshUnchecked);
                checkedNew.Add(freshChecked);
            }
        }

        var median = Stats.Median(proxied);
        var baselineMedian = Stats.Median(directly);
        return
        [
            new("taskcluster-proxy signed ping, median (through the proxy vs signed and sent directly)", "ms", median, baselineMedian, median / baselineMedian, "<= +1 ms", median - baselineMedian <= 1),
            Added("taskcluster-proxy peer check, kept-alive connection, median (checked vs unchecked proxy)", checkedKept, proxied),
            Added("taskcluster-proxy peer check, new connection per request, median (checked vs unchecked proxy)", checkedNew, uncheckedNew),
        ];
    }

    private static Figure Added(string name, List<double> with, List<double> without)
    {
        var value = Stats.Median(with);
        var baseline = Stats.Median(without);
        return new(name, "ms", value, baseline, value / baseline, "<= +1 ms", value - baseline <= 1);
    }

    /// <summary>A ping that asks the server to close the connection after answering, so that the next one opens a new one.</summary>
    private static HttpRequestMessage Closing(Uri url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.ConnectionClose = true;
        return request;
    }

    private static async Task<double> TimeAsync(Func<Task<HttpResponseMessage>> send)
    {
        var watch = Stopwatch.StartNew();
        using var response = await send();
        _ = await response.Content.ReadAsByteArrayAsync();
        watch.Stop();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"the ping answered {(int)response.StatusCode}");
        }

        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>What the proxy reads of a task: its id, run, scopes, root URL and credentials.</summary>
    private sealed class BenchTaskContext(string rootUrl, TaskCredentials credentials) : ITaskContext
    {
        public string TaskId => "YmVuY2gtcHJveHktdGFzay0";

        public int RunId => 0;

        public JObject Task { get; } = [];

        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset Deadline { get; } = DateTimeOffset.UtcNow.AddHours(1);

        public DateTimeOffset Expires { get; } = DateTimeOffset.UtcNow.AddDays(1);

        public IReadOnlyList<string> Scopes { get; } = ["queue:ping"];

        public string RootUrl => rootUrl;

        public ITaskLog Log => throw new NotSupportedException();

        public CancellationToken Aborted => CancellationToken.None;

        public TaskCredentials Credentials => credentials;

        public IArtifactPublisher Artifacts => throw new NotSupportedException();

        public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => true;
    }
}
