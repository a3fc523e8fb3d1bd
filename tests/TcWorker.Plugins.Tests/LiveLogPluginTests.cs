using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins.LiveLog;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Webhooks;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

public sealed class LiveLogPluginTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-livelog-").FullName;
    private WebhookServer webhooks = null!;
    private TaskLog log = null!;
    private Mock<IArtifactPublisher> artifacts = null!;
    private ITaskPlugin taskPlugin = null!;

    public async Task InitializeAsync()
    {
        webhooks = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);
        log = new TaskLog(Path.Combine(folder, "task.log"));
        artifacts = new Mock<IArtifactPublisher>();
        var task = new Mock<ITaskContext>();
        task.SetupGet(t => t.Log).Returns(log);
        task.SetupGet(t => t.Artifacts).Returns(artifacts.Object);
        var environment = new Mock<IWorkerEnvironment>();
        environment.SetupGet(e => e.Webhooks).Returns(webhooks);
        environment.SetupGet(e => e.Time).Returns(TimeProvider.System);
        var plugin = new LiveLogPluginProvider().Create(new PluginOptions { Config = [], Environment = environment.Object, Logger = NullLogger.Instance });
        taskPlugin = await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = [], Engine = TestTaskEngine.Mock });
    }

    public async Task DisposeAsync()
    {
        await taskPlugin.DisposeAsync();
        await log.DisposeAsync();
        await webhooks.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private async Task<Uri> StartAsync()
    {
        Uri? url = null;
        artifacts.Setup(a => a.CreateReferenceAsync(LiveLogPluginProvider.ArtifactName, It.IsAny<Uri>(), "text/plain; charset=utf-8", null, It.IsAny<CancellationToken>()))
            .Callback<string, Uri, string, DateTimeOffset?, CancellationToken>((_, u, _, _, _) => url = u)
            .Returns(Task.CompletedTask);
        await taskPlugin.BuildSandboxAsync(Mock.Of<ISandboxBuilder>(), CancellationToken.None);
        Assert.NotNull(url);
        return url;
    }

    [Fact]
    public async Task Fifty_concurrent_readers_each_receive_exactly_the_bytes_of_the_log()
    {
        var url = await StartAsync();
        var readers = Enumerable.Range(0, 50).Select(_ => Http.GetByteArrayAsync(url)).ToList();

        // Written while the readers follow: text, binary, a long line without a newline.
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var chunk = new byte[random.Next(1, 20_000)];
            random.NextBytes(chunk);
            await log.WriteAsync(chunk);
            if (i % 50 == 0)
            {
                log.WriteLine($"progress {i}");
                await Task.Delay(10);
            }
        }

        await log.CloseAsync();
        var expected = await File.ReadAllBytesAsync(log.Path);
        Assert.True(expected.Length > 1_000_000);
        foreach (var reader in readers)
        {
            Assert.Equal(expected, await reader);
        }
    }

    [Fact]
    public async Task The_log_is_plain_text_with_cors_and_the_viewer_page_is_html()
    {
        var url = await StartAsync();
        log.WriteLine("hello");
        await log.CloseAsync();

        using var response = await Http.GetAsync(url);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal($"[tc-worker] Live log: {url}\n[tc-worker] hello\n", await response.Content.ReadAsStringAsync());

        using var page = await Http.GetAsync(new Uri(url, "./"));
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("fetch('log')", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_that_cannot_take_the_reference_does_not_fail_the_task()
    {
        artifacts.Setup(a => a.CreateReferenceAsync(LiveLogPluginProvider.ArtifactName, It.IsAny<Uri>(), It.IsAny<string>(), null, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("Connection refused"));

        await taskPlugin.BuildSandboxAsync(Mock.Of<ISandboxBuilder>(), CancellationToken.None);

        await log.CloseAsync();
        var text = await File.ReadAllTextAsync(log.Path);
        Assert.Contains("[tc-worker:error] The live log could not be published as public/logs/live.log (Connection refused); it is still served at http://127.0.0.1:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hook_answers_404_once_the_task_plugin_is_disposed()
    {
        var url = await StartAsync();
        await log.CloseAsync();
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url)).StatusCode);

        await taskPlugin.DisposeAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(url, "./"))).StatusCode);
    }
}
