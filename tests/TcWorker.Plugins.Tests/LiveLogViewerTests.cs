using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Moq;
using TcWorker.Engines;
using TcWorker.Plugins.LiveLog;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Webhooks;
using TcWorker.Tasks;
using TcWorker.Tests.Shared;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>The live log's viewer page in a real headless Chromium (Debian's; no browser is downloaded).</summary>
public sealed class LiveLogViewerTests
{
    [SkippableFact]
    public async Task The_viewer_page_tails_the_log_as_it_is_written_until_it_ends()
    {
        var skip = HeadlessChromium.SkipReason();
        Skip.If(skip is not null, skip);

        var folder = Directory.CreateTempSubdirectory("tcw-viewer-").FullName;
        await using var webhooks = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);
        await using var log = new TaskLog(Path.Combine(folder, "task.log"));
        Uri? url = null;
        var artifacts = new Mock<IArtifactPublisher>();
        artifacts.Setup(a => a.CreateReferenceAsync(It.IsAny<string>(), It.IsAny<Uri>(), It.IsAny<string>(), null, It.IsAny<CancellationToken>()))
            .Callback<string, Uri, string, DateTimeOffset?, CancellationToken>((_, u, _, _, _) => url = u)
            .Returns(Task.CompletedTask);
        var task = new Mock<ITaskContext>();
        task.SetupGet(t => t.Log).Returns(log);
        task.SetupGet(t => t.Artifacts).Returns(artifacts.Object);
        var environment = new Mock<IWorkerEnvironment>();
        environment.SetupGet(e => e.Webhooks).Returns(webhooks);
        environment.SetupGet(e => e.Time).Returns(TimeProvider.System);
        var plugin = new LiveLogPluginProvider().Create(new PluginOptions { Config = [], Environment = environment.Object, Logger = NullLogger.Instance });
        await using var taskPlugin = await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = [], Engine = TestTaskEngine.Mock });
        await taskPlugin.BuildSandboxAsync(Mock.Of<ISandboxBuilder>(), CancellationToken.None);
        log.WriteLine("first line");

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(url!, "./").ToString());

        var text = page.Locator("#log");
        await Assertions.Expect(text).ToContainTextAsync("[tc-worker] first line");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("streaming");

        // Lines written after the page opened arrive live.
        log.WriteLine("second line, written while watching");
        await Assertions.Expect(text).ToContainTextAsync("second line, written while watching");

        await log.CloseAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("finished");
        Directory.Delete(folder, recursive: true);
    }
}
