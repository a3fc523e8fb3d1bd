using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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
    /// The two kinds alternate, over one kept-alive connection each.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> ProxyAsync(Harness harness, BenchOptions options)
    {
        var issued = harness.Server.RootCredentials.CreateTemporary(["queue:*"], TimeSpan.FromHours(1));
        var task = new BenchTaskContext(harness.Server.RootUrl, new TaskCredentials(issued.ClientId, issued.AccessToken, issued.Certificate, null));
        using var upstream = new HttpMessageInvoker(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var handler = new ProxyHandler(task, upstream, TimeProvider.System);

        const string prefix = "/benchmark-prefix";
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => { k.AddServerHeader = false; k.Listen(IPAddress.Loopback, 0); });
        await using var app = builder.Build();
        app.Run(context =>
        {
            context.Request.Path.StartsWithSegments(prefix, out var rest);
            context.Request.PathBase = prefix;
            context.Request.Path = rest;
            return handler.HandleAsync(context);
        });
        await app.StartAsync();
        var proxyUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + prefix + "/api/queue/v1/ping");
        var directUrl = TaskclusterUrl.Api(harness.Server.RootUrl, "queue", "/ping");
        var signing = new TaskclusterCredentials(issued.ClientId, issued.AccessToken, issued.Certificate, ["queue:*"]);

        using var viaProxy = new HttpClient();
        using var direct = new HttpClient();
        var proxied = new List<double>();
        var directly = new List<double>();
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
            if (i >= warmUp)
            {
                proxied.Add(time);
                directly.Add(baseline);
            }
        }

        var median = Stats.Median(proxied);
        var baselineMedian = Stats.Median(directly);
        return
        [
            new("taskcluster-proxy signed ping, median (through the proxy vs signed and sent directly)", "ms", median, baselineMedian, median / baselineMedian, "<= +1 ms", median - baselineMedian <= 1),
        ];
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
