using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The local queue's dashboard in a real headless Chromium (Debian's; no browser is downloaded),
/// against the real queue and the stock worker (native engine, live log, artifacts) over loopback.
/// </summary>
public sealed partial class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task Without_credentials_the_task_list_is_refused_naming_the_scope_it_needs()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var browser = await LaunchAsync();
        var page = await browser.Browser.NewPageAsync();

        await page.GotoAsync(deployment.Server.RootUrl + "/");

        var refusal = page.Locator("main .error");
        await Assertions.Expect(refusal).ToContainTextAsync("Refused");
        await Assertions.Expect(refusal).ToContainTextAsync("local-queue:list-tasks");
        await Assertions.Expect(page.Locator("#tasks tbody tr")).ToHaveCountAsync(0);
    }

    [SkippableFact]
    public async Task The_page_runs_its_own_inline_script_and_refuses_one_it_did_not_ship()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var browser = await LaunchAsync();
        var page = await browser.Browser.NewPageAsync();
        var refused = new List<string>();
        page.Console += (_, message) => refused.Add(message.Text);

        // The task list's code is the page's own inline script, allowed by its hash: it runs.
        await page.GotoAsync(deployment.Server.RootUrl + "/");
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("anonymous");
        Assert.Empty(await page.Locator("script[src]").AllAsync());

        // Any other inline script (here one put into the page after it loaded) is refused by the policy.
        var outcome = await page.EvaluateAsync<string>(
            """
            () => new Promise((resolve) => {
              document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective + ' ' + e.blockedURI), { once: true });
              const script = document.createElement('script');
              script.textContent = 'window.injected = true';
              document.head.append(script);
              setTimeout(() => resolve(window.injected ? 'ran' : 'no report'), 2000);
            })
            """);
        Assert.Equal("script-src-elem inline", outcome);
        Assert.False(await page.EvaluateAsync<bool>("window.injected === true"));
        Assert.Contains(refused, text => text.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_task_created_in_the_editor_runs_its_live_log_grows_its_artifact_opens_and_a_second_task_is_cancelled()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var browser = await LaunchAsync();
        var page = await SignedInPageAsync(browser, deployment.Server.RootUrl, deployment.Options.RootClientId!, deployment.Options.RootAccessToken!);

        // Create the first task in the editor: it prints slowly, ends with a red error line, and leaves an artifact.
        await page.ClickAsync("text=Create task");
        var task = JObject.Parse(await page.InputValueAsync("#editor"));
        task["taskQueueId"] = Deployment.WorkerPoolId;
        task["payload"] = new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "for i in $(seq 1 40); do echo line $i; sleep 0.1; done; printf '\\033[31merror: boom\\033[0m\\n'; echo hello-artifact > hello.txt") },
            ["artifacts"] = new JArray { new JObject { ["type"] = "file", ["path"] = "hello.txt", ["name"] = "public/hello.txt" } },
            ["maxRunTime"] = 120,
        };
        await page.FillAsync("#editor", task.ToString());
        await page.ClickAsync("#submit");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/tasks/[A-Za-z0-9_-]{22}$"));
        var taskId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("pending");

        // The second task sleeps until cancelled.
        var sleeper = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sleep", "300") }, ["maxRunTime"] = 600 });

        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(deployment.Config(tasks: 2, capacity: 2), lifetime);
        try
        {
            // The list shows both tasks, live.
            await page.GotoAsync(deployment.Server.RootUrl + "/#/");
            await Assertions.Expect(page.Locator($"#tasks tr[data-task-id='{taskId}'] .state")).ToHaveTextAsync("running");
            await Assertions.Expect(page.Locator($"#tasks tr[data-task-id='{sleeper}'] .state")).ToHaveTextAsync("running");
            var row = page.Locator($"#tasks tr[data-task-id='{taskId}']");
            Assert.Equal("#/tasks/" + taskId, await row.Locator("td").Nth(0).Locator("a").GetAttributeAsync("href"));
            await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync(new Regex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"));

            // The live log grows while the task runs.
            await page.GotoAsync(deployment.Server.RootUrl + $"/#/tasks/{taskId}/runs/0/log");
            var log = page.Locator("#log .lv-rows");

            // The viewer's styles, which the task list does not load, apply once its page opens.
            await Assertions.Expect(page.Locator("#log.log-viewer")).ToHaveCSSAsync("background-color", "rgb(21, 23, 26)");
            await Assertions.Expect(log).ToContainTextAsync("line 3");
            await Assertions.Expect(page.Locator("#log [data-role=status]")).ToHaveTextAsync("streaming");
            await Assertions.Expect(log).ToContainTextAsync("line 30");
            await Assertions.Expect(page.Locator("#log [data-role=status]")).ToHaveTextAsync("finished", new() { Timeout = 30_000 });

            // The error line is red, and "First error" selects it.
            await page.ClickAsync("#log [data-role=error]");
            var error = page.Locator("#log .lv-line.lv-selected");
            await Assertions.Expect(error).ToContainTextAsync("error: boom");
            Assert.Contains("color", await error.Locator(".lv-text span").GetAttributeAsync("style") ?? string.Empty);

            // The artifact opens in the page.
            await page.GotoAsync(deployment.Server.RootUrl + $"/#/tasks/{taskId}");
            await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
            await page.ClickAsync("#artifacts tr[data-artifact='public/hello.txt'] button.view");
            await Assertions.Expect(page.Locator("#artifact-text")).ToContainTextAsync("hello-artifact");

            // Cancel the second task from its page.
            await page.GotoAsync(deployment.Server.RootUrl + $"/#/tasks/{sleeper}");
            await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("running");
            await page.ClickAsync("#cancel");
            await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("exception");
            await Assertions.Expect(page.Locator("#runs .resolution")).ToHaveTextAsync("canceled");
            Assert.Equal("canceled", (await deployment.StatusAsync(sleeper)).Runs.Single().ReasonResolved);
        }
        finally
        {
            lifetime.StopNow();
            await worker;
        }
    }

    [SkippableFact]
    public async Task A_yaml_task_whose_payload_breaks_the_worker_configs_schema_is_shown_its_errors_and_not_created_and_once_fixed_it_runs()
    {
        await using var browser = await LaunchAsync();
        var folder = Directory.CreateTempSubdirectory("tcw-e2e-editor-").FullName;
        var config = new JObject
        {
            ["engine"] = "native",
            ["plugins"] = new JObject { ["env"] = new JObject(), ["maxruntime"] = new JObject(), ["success"] = new JObject() },
            ["worker"] = new JObject { ["workerPoolId"] = Deployment.WorkerPoolId, ["workerGroup"] = "e2e", ["workerId"] = "editor", ["numberOfTasksToRun"] = 1, ["minimumDiskSpace"] = 0 },
        };
        var configFile = Path.Combine(folder, "worker.json");
        await File.WriteAllTextAsync(configFile, config.ToString());

        // The real binary serves the queue with the worker config: the editor checks payloads against its composed schema.
        var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "queue", "serve", "--data", Path.Combine(folder, "queue"), "--config", configFile })
        {
            start.ArgumentList.Add(argument);
        }

        using var queue = Process.Start(start)!;
        var stderr = queue.StandardError.ReadToEndAsync();
        try
        {
            var rootUrl = await queue.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("queue serve ended: " + await stderr);
            var settings = (await File.ReadAllLinesAsync(Path.Combine(folder, "queue", "credentials.env"))).Select(l => l.Replace("export ", string.Empty, StringComparison.Ordinal).Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var credentials = new TcWorker.Taskcluster.TaskclusterCredentials(settings["TASKCLUSTER_CLIENT_ID"], settings["TASKCLUSTER_ACCESS_TOKEN"]);
            var page = await SignedInPageAsync(browser, rootUrl, credentials.ClientId, credentials.AccessToken);

            await page.GotoAsync(rootUrl + "/#/create");
            await Assertions.Expect(page.Locator("#schema-note")).ToContainTextAsync("payload schema of the queue's worker config");
            var yaml = """
                taskQueueId: e2e/worker
                created: 2026-01-01T00:00:00.000Z
                deadline: 2026-01-01T01:00:00.000Z
                metadata: {name: yaml, description: from the editor, owner: e2e@example.com, source: 'https://example.com/e2e'}
                payload:
                  command:
                    - [sh, -c, echo from yaml]
                  maxRunTime: ten
                  colour: red
                """;
            await page.FillAsync("#editor", yaml);
            await page.ClickAsync("#submit");
            var problems = page.Locator("#problems li");
            await Assertions.Expect(problems).ToHaveCountAsync(2);
            await Assertions.Expect(problems.Nth(0)).ToContainTextAsync("line 8: payload.maxRunTime:");
            await Assertions.Expect(problems.Nth(1)).ToContainTextAsync("line 9: payload.colour: not allowed");
            Assert.EndsWith("#/create", page.Url, StringComparison.Ordinal);
            await page.GotoAsync(rootUrl + "/#/");
            await Assertions.Expect(page.Locator("#tasks")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync("No tasks match.");

            await page.GotoAsync(rootUrl + "/#/create");
            await page.FillAsync("#editor", yaml.Replace("maxRunTime: ten", "maxRunTime: 60", StringComparison.Ordinal).Replace("  colour: red", string.Empty, StringComparison.Ordinal));
            await page.ClickAsync("#submit");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/tasks/[A-Za-z0-9_-]{22}$"));
            var taskId = page.Url[(page.Url.LastIndexOf('/') + 1)..];

            config["rootUrl"] = rootUrl;
            config["credentials"] = new JObject { ["clientId"] = credentials.ClientId, ["accessToken"] = credentials.AccessToken };
            config["temporaryFolder"] = Path.Combine(folder, "worker");
            using var lifetime = new WorkerLifetime();
            await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(120));
            await Assertions.Expect(page.Locator("h1 .state")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
            Assert.Contains(taskId, page.Url, StringComparison.Ordinal);
        }
        finally
        {
            queue.Kill(entireProcessTree: true);
            await queue.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A page signed in through the sign-in form.</summary>
    private static async Task<IPage> SignedInPageAsync(BrowserSession browser, string rootUrl, string clientId, string accessToken)
    {
        var page = await browser.Browser.NewPageAsync();
        await page.GotoAsync(rootUrl + "/");
        await page.FillAsync("input[name=clientId]", clientId);
        await page.FillAsync("input[name=accessToken]", accessToken);
        await page.ClickAsync("#sign-in-button");
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("signed in as " + clientId);
        return page;
    }

    private static async Task<BrowserSession> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{Chromium} is missing; test.sh installs Debian's chromium when run as root");
            Skip.If(true, $"{Chromium} is not installed (apt-get install chromium)");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new BrowserSession(playwright, browser);
    }

    /// <summary>Playwright and its browser, closed together.</summary>
    private sealed record BrowserSession(IPlaywright Playwright, IBrowser Browser) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            Playwright.Dispose();
        }
    }
}
