using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.LocalQueue;
using TcWorker.Plugins.TaskclusterProxy;
using TcWorker.Taskcluster;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>
/// The taskcluster-proxy plugin's handler against the real local queue: the URL shapes of the official proxy,
/// signing restricted to the task's scopes, redirects passed back, /bewit, and the end of the task.
/// </summary>
public sealed class TaskclusterProxyPluginTests : IAsyncLifetime
{
    private const string Prefix = "/prefix-the-engine-chose";
    private readonly List<ILogFilter> filters = [];
    private static readonly string TaskId = Slugid.Nice();
    private static readonly HttpClient Http = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-tcproxy-").FullName;
    private LocalQueueServer queue = null!;
    private WebApplication host = null!;
    private RequestDelegate? attached;
    private TaskCredentials credentials = null!;
    private IPlugin plugin = null!;
    private ITaskPlugin taskPlugin = null!;
    private Uri proxy = null!;
    private readonly Dictionary<string, string> variables = [];

    public async Task InitializeAsync()
    {
        queue = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = Path.Combine(folder, "queue") });
        credentials = Temporary();

        // The engine's side: serves whatever handler is attached below a prefix, as the native engine does.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        host = builder.Build();
        host.Run(async context =>
        {
            if (!context.Request.Path.StartsWithSegments(Prefix, out var rest) || attached is null)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Request.PathBase = Prefix;
            context.Request.Path = rest;
            await attached(context);
        });
        await host.StartAsync();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy = new Uri(address.TrimEnd('/') + Prefix + "/");

        var task = new Mock<ITaskContext>();
        task.SetupGet(t => t.TaskId).Returns(TaskId);
        task.SetupGet(t => t.RunId).Returns(2);
        task.SetupGet(t => t.RootUrl).Returns(queue.RootUrl);
        task.SetupGet(t => t.Scopes).Returns(["index:insert-task:proxy.allowed.*", "queue:list-artifacts:*", "queue:get-artifact:public/*"]);
        task.SetupGet(t => t.Credentials).Returns(() => credentials);
        var log = new Mock<ITaskLog>();
        log.Setup(l => l.AddFilter(It.IsAny<ILogFilter>())).Callback<ILogFilter>(filters.Add);
        task.SetupGet(t => t.Log).Returns(log.Object);
        var environment = new Mock<IWorkerEnvironment>();
        environment.SetupGet(e => e.Time).Returns(TimeProvider.System);
        plugin = new TaskclusterProxyPluginProvider().Create(new PluginOptions { Config = [], Environment = environment.Object, Logger = NullLogger.Instance });
        taskPlugin = await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = Requested(), Engine = WithProxies });

        var sandbox = new Mock<ISandboxBuilder>();
        sandbox.Setup(b => b.AttachProxyAsync("taskcluster", It.IsAny<RequestDelegate>(), It.IsAny<CancellationToken>()))
            .Callback<string, RequestDelegate, CancellationToken>((_, handler, _) => attached = handler)
            .ReturnsAsync(new ProxyEndpoint(proxy));
        sandbox.Setup(b => b.SetEnvironmentVariable(It.IsAny<string>(), It.IsAny<string>())).Callback<string, string>((n, v) => variables.Add(n, v));
        await taskPlugin.BuildSandboxAsync(sandbox.Object, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await taskPlugin.DisposeAsync();
        await plugin.DisposeAsync();
        await host.DisposeAsync();
        await queue.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private static TestTaskEngine WithProxies { get; } = new() { Capabilities = new() { Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Proxies } };

    private static JObject Requested() => new() { ["features"] = new JObject { ["taskclusterProxy"] = true } };

    [Fact]
    public void The_task_gets_the_proxy_url_without_its_trailing_slash()
    {
        Assert.Equal(proxy.AbsoluteUri.TrimEnd('/'), variables["TASKCLUSTER_PROXY_URL"]);
    }

    [Fact]
    public void The_secret_of_the_proxy_url_is_masked_in_the_task_log()
    {
        var filter = Assert.Single(filters);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        filter.Transform(Encoding.UTF8.GetBytes($"TASKCLUSTER_PROXY_URL={variables["TASKCLUSTER_PROXY_URL"]}\n"), output);
        filter.Flush(output);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.DoesNotContain("prefix-the-engine-chose", text, StringComparison.Ordinal);
        Assert.EndsWith("/***\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_url_shapes_reach_the_service_signed_and_restricted_to_the_task_scopes()
    {
        // Allowed by the task's scopes: the index takes it, from the new /api shape and the older one.
        var inserted = await Http.PutAsync(Url("api/index/v1/task/proxy.allowed.one"), Insert());
        Assert.True(inserted.StatusCode == HttpStatusCode.OK, await inserted.Content.ReadAsStringAsync());
        Assert.Equal(queue.RootUrl.TrimEnd('/') + "/api/index/v1/task/proxy.allowed.one", inserted.Headers.GetValues("X-Taskcluster-Endpoint").Single());
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync(Url("index/v1/task/proxy.allowed.two"), Insert())).StatusCode);

        // The credentials (root's here) could, but the proxy restricts them to the task's scopes: the queue's 403 comes back.
        var denied = await Http.PutAsync(Url("api/index/v1/task/proxy.denied.one"), Insert());
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("index:insert-task:proxy.denied.one", await denied.Content.ReadAsStringAsync());
        Assert.Contains($"queue:create-artifact:{TaskId}/2", denied.Headers.GetValues("X-Taskcluster-Authorized-Scopes").Single());
    }

    [Fact]
    public async Task A_redirect_comes_back_unchanged()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync(Url("api/index/v1/task/proxy.allowed.redirect"), Insert())).StatusCode);
        var response = await Http.GetAsync(Url("api/index/v1/task/proxy.allowed.redirect/artifacts/public/build.tar.gz"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith($"{queue.RootUrl.TrimEnd('/')}/api/queue/v1/task/{TaskId}/artifacts/public", response.Headers.Location!.AbsoluteUri);
    }

    [Theory]
    [InlineData("api/nosuchservice/v1/ping", "Unknown taskcluster service")]
    [InlineData("nosuchservice/v1/ping", "Unknown taskcluster service")]
    [InlineData("api/queue/v1", "invalid /api path")]
    [InlineData("example.com/v1/ping", "host name")]
    [InlineData("credentials", "not served")]
    public async Task A_path_that_leads_to_no_service_answers_404(string path, string message)
    {
        var response = await Http.GetAsync(Url(path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bewit_signs_a_url_the_queue_accepts_for_an_hour()
    {
        var target = $"{queue.RootUrl.TrimEnd('/')}/api/queue/v1/task/{TaskId}/runs/0/artifacts";
        var response = await Http.PostAsync(Url("bewit"), new StringContent(target + "\n"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var signed = response.Headers.Location!;
        Assert.Equal(signed.AbsoluteUri, await response.Content.ReadAsStringAsync());
        Assert.StartsWith(target + "?bewit=", signed.AbsoluteUri);

        // Signed: the queue gets past authentication (the task does not exist); unsigned it is refused.
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(signed)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Http.GetAsync(new Uri(target))).StatusCode);
    }

    [Fact]
    public async Task Renewed_credentials_are_used_from_the_next_request_and_the_proxy_stops_with_the_task()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync(Url("api/index/v1/task/proxy.allowed.before"), Insert())).StatusCode);
        credentials = new TaskCredentials("static/nobody", "not-a-token", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PutAsync(Url("api/index/v1/task/proxy.allowed.broken"), Insert())).StatusCode);
        credentials = Temporary();
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync(Url("api/index/v1/task/proxy.allowed.after"), Insert())).StatusCode);

        await taskPlugin.StoppedAsync(Mock.Of<IResultSet>(), CancellationToken.None);
        var stopped = await Http.GetAsync(Url("api/queue/v1/ping"));
        Assert.Equal(HttpStatusCode.NotFound, stopped.StatusCode);
    }

    [Fact]
    public async Task An_engine_without_proxies_makes_the_payload_malformed_with_a_clear_message()
    {
        var task = new Mock<ITaskContext>();
        var e = await Assert.ThrowsAsync<MalformedPayloadException>(() => plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = Requested(), Engine = TestTaskEngine.Mock }));
        Assert.Equal("$.features.taskclusterProxy: the engine 'mock' of this worker does not offer proxies, so it cannot run a taskcluster-proxy for the task", e.Message);
        Assert.IsType<NoOpTaskPlugin>(await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = [], Engine = TestTaskEngine.Mock }));
    }

    private Uri Url(string path) => new(proxy, path);

    private static StringContent Insert() => new(
        $$"""{"taskId": "{{TaskId}}", "rank": 1, "data": {}, "expires": "{{DateTimeOffset.UtcNow.AddDays(1):O}}"}""", Encoding.UTF8, "application/json");

    /// <summary>Temporary credentials as a claim hands out: the queue's root issues them with every scope.</summary>
    private TaskCredentials Temporary()
    {
        var temporary = queue.RootCredentials.CreateTemporary(["*"], TimeSpan.FromHours(1));
        return new TaskCredentials(temporary.ClientId, temporary.AccessToken, temporary.Certificate, null);
    }
}
