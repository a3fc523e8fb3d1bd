using System.Net;
using System.Net.WebSockets;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Docker.Tests;
using TcWorker.Engines.Testing;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The interactive plugin end to end: the real local queue, the stock plugin folders, a worker running a
/// task with <c>features.interactive</c>, and a WebSocket client that finds the shell through the private
/// artifact as a task author's tools would, on the native engine (as a task user) and on Docker.
/// </summary>
public sealed class InteractiveShellTests
{
    private const string ArtifactName = "private/generic-worker/shell.html";

    // The task waits for a file the shell creates: the shell ends the task.
    private const string WaitForDone = "echo started; while [ ! -e done ]; do sleep 0.1; done; echo finished";

    [SkippableFact]
    public async Task A_native_task_opens_shells_over_the_protocol_until_it_ends()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Per-task users need root on Linux (useradd); run the tests as root to cover them.");
        await RunAsync(
            config => config["engines"]!["native"]!["createUser"] = true,
            NativePayload(),
            "id -un",
            "tcw-");
    }

    [SkippableFact]
    public async Task A_docker_task_opens_shells_over_the_protocol_until_it_ends()
    {
        var daemon = new DockerDaemon();
        await daemon.InitializeAsync();
        Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
        await daemon.DisposeAsync();
        await RunAsync(
            config =>
            {
                config["engine"] = "docker";
                config["engines"] = new JObject { ["docker"] = new JObject { ["endpoint"] = DockerDaemon.Endpoint, ["network"] = "none", ["abortGracePeriodSeconds"] = 0 } };
            },
            new JObject { ["image"] = DockerDaemon.Image, ["command"] = new JArray("sh", "-c", WaitForDone), ["maxRunTime"] = 120 },
            "cat /proc/1/cmdline | tr '\\0' ' '",
            "sh -c echo started");
    }

    [SkippableFact]
    public async Task The_local_queues_shell_page_opens_the_artifacts_shell_in_a_browser()
    {
        var skip = HeadlessChromium.SkipReason();
        Skip.If(skip is not null, skip);
        await using var deployment = await Deployment.StartAsync();
        await RunTaskAsync(deployment, _ => { }, NativePayload(), async (taskId, page) =>
        {
            await using var chromium = await HeadlessChromium.LaunchAsync();
            var browser = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 900, Height = 500 } });
            // The artifact itself, followed as a browser follows it: the queue's redirect, then the page.
            await browser.GotoAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, ArtifactName, TimeSpan.FromMinutes(5)).AbsoluteUri);
            Assert.StartsWith(deployment.Server.RootUrl.TrimEnd('/') + "/shell/?v=2", browser.Url, StringComparison.Ordinal);
            var status = browser.Locator("#status");
            await Assertions.Expect(status).ToHaveTextAsync("connected");
            var rows = browser.Locator(".xterm-rows");
            await browser.Locator(".xterm-helper-textarea").FocusAsync();
            await browser.Keyboard.TypeAsync("echo page-$((6*7)); stty size\n");
            await Assertions.Expect(rows).ToContainTextAsync("page-42");
            var size = await browser.EvaluateAsync<int[]>("[shellTerminal.rows, shellTerminal.cols]");

            // The page's first size can reach the terminal just after a shell that starts at once asked for it (seen
            // once: "0 0"); asked again, the shell must see it.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Assertions.Expect(rows).ToContainTextAsync($"{size[0]} {size[1]}", new() { Timeout = 3000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 3)
                {
                    await browser.Keyboard.TypeAsync("clear; stty size\n");
                }
            }

            // A smaller window resizes the terminal, and the shell sees it.
            await browser.SetViewportSizeAsync(600, 300);
            await Assertions.Expect(browser.Locator("#status")).ToHaveTextAsync("connected");
            var smaller = await WaitForSizeChangeAsync(browser, size);
            await browser.Keyboard.TypeAsync("clear; stty size\n");
            await Assertions.Expect(rows).ToContainTextAsync($"{smaller[0]} {smaller[1]}");

            await browser.Keyboard.TypeAsync("touch done\n");
            await Assertions.Expect(status).ToHaveTextAsync("closed: the task ended");
        });
    }

    [SkippableFact]
    public async Task Tc_worker_shell_opens_the_shell_with_the_callers_credentials_and_exits_with_its_code()
    {
        await using var deployment = await Deployment.StartAsync();
        await RunTaskAsync(deployment, _ => { }, NativePayload(), async (taskId, _) =>
        {
            var environment = new Dictionary<string, string>
            {
                ["TASKCLUSTER_ROOT_URL"] = deployment.Server.RootUrl,
                ["TASKCLUSTER_CLIENT_ID"] = deployment.Options.RootClientId!,
                ["TASKCLUSTER_ACCESS_TOKEN"] = deployment.Options.RootAccessToken!,
            };

            // Without credentials the private artifact, and with it the shell, stays closed.
            var (denied, _, deniedError) = await RunCliAsync(new Dictionary<string, string> { ["TASKCLUSTER_ROOT_URL"] = deployment.Server.RootUrl }, "", "shell", taskId);
            Assert.NotEqual(0, denied);
            Assert.Contains("InsufficientScopes", deniedError, StringComparison.Ordinal);

            var (exitCode, output, error) = await RunCliAsync(environment, "echo cli-$((6*7))\nexit 5\n", "shell", taskId, "--run", "0");
            Assert.True(exitCode == 5, $"tc-worker shell exited {exitCode}: {error}\n{output}");
            Assert.Contains("cli-42", output, StringComparison.Ordinal);

            var (ended, _, _) = await RunCliAsync(environment, "touch done\nsleep 30\n", "shell", taskId);
            Assert.Equal(1, ended);
        });
    }

    [SkippableFact]
    public async Task Another_task_user_can_neither_learn_nor_guess_a_running_tasks_shell_url()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Per-task users need root on Linux (useradd); run the tests as root to cover them.");
        await using var deployment = await Deployment.StartAsync();
        await RunTaskAsync(
            deployment,
            config =>
            {
                config["engines"]!["native"]!["createUser"] = true;
                config["worker"]!["capacity"] = 2;
            },
            NativePayload(),
            async (taskB, page) =>
            {
                var socketUrl = new Uri(System.Web.HttpUtility.ParseQueryString(page.Query)["socketUrl"]!);
                var secretPath = socketUrl.AbsolutePath.Trim('/');
                var hook = socketUrl.Authority;

                // Task A, as another task user, looks where B's address could be (every process's environment and
                // command line, the worker's and the queue's folders), asks the queue for B's private artifact without
                // credentials, and knocks on the webhook server without the address.
                var taskA = await deployment.CreateTaskAsync(new JObject
                {
                    ["command"] = JArray.FromObject(new[] { new[] { "sh", "-c", """
                        for p in /proc/[0-9]*; do cat "$p/environ" "$p/cmdline" 2>/dev/null | tr '\0' '\n'; done | grep -o "$1/[A-Za-z0-9_/-]*" | sort -u
                        grep -rao "$1/[A-Za-z0-9_/-]*" "$4" 2>&1 | sort -u | head -5
                        curl -s -o /dev/null -w 'root=%{http_code}\n' "http://$1/"
                        curl -s -o /dev/null -w 'guess=%{http_code}\n' "http://$1/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"
                        curl -s -o /dev/null -w 'artifact=%{http_code}\n' "$3/api/queue/v1/task/$2/runs/0/artifacts/private/generic-worker/shell.html"
                        echo "whoami=$(id -un)"
                        """, "task-a", hook, taskB, deployment.Server.RootUrl.TrimEnd('/'), deployment.Folder } }),
                    ["maxRunTime"] = 60,
                });
                var statusA = await deployment.WaitForAsync(taskA, s => s.State is "completed" or "failed" or "exception", TimeSpan.FromSeconds(120));
                var logA = await LogAsync(deployment, taskA);
                Assert.True(statusA.State == "completed", $"task A is {statusA.State}: {logA}");
                Assert.Contains("whoami=tcw-", logA, StringComparison.Ordinal);
                Assert.DoesNotContain(secretPath, logA, StringComparison.Ordinal);
                Assert.Contains("Permission denied", logA, StringComparison.Ordinal);
                Assert.Contains("root=404", logA, StringComparison.Ordinal);
                Assert.Contains("guess=404", logA, StringComparison.Ordinal);
                Assert.Matches("artifact=40[13]", logA);

                // Whoever holds the address gets B's shell, as B's user; A never got it.
                await using var shell = await ShellClient.ConnectAsync(socketUrl);
                await shell.SendInputAsync("echo owner-$((6*7)) $(id -un)\n");
                await shell.WaitForOutputAsync("owner-42 tcw-");
                await shell.SendInputAsync("touch done\n");
                await shell.WaitForCloseAsync();
                await deployment.WaitForAsync(taskB, s => s.State is "completed" or "failed" or "exception");
                Assert.DoesNotContain(secretPath, await LogAsync(deployment, taskB), StringComparison.Ordinal);
            });
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunCliAsync(IReadOnlyDictionary<string, string> environment, string input, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Deployment.Executable) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "TASKCLUSTER_ROOT_URL", "TASKCLUSTER_CLIENT_ID", "TASKCLUSTER_ACCESS_TOKEN", "TASKCLUSTER_CERTIFICATE" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }

    private static JObject NativePayload() => new() { ["command"] = JArray.FromObject(new[] { new[] { "sh", "-c", WaitForDone } }), ["maxRunTime"] = 120 };

    private static async Task<int[]> WaitForSizeChangeAsync(IPage browser, int[] before)
    {
        for (var i = 0; i < 100; i++)
        {
            var size = await browser.EvaluateAsync<int[]>("[shellTerminal.rows, shellTerminal.cols]");
            if (!size.SequenceEqual(before))
            {
                return size;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the terminal kept its size when the window shrank");
        return before;
    }

    /// <summary>Runs one interactive task on a worker and hands its id and the artifact's page address to <paramref name="walk"/>.</summary>
    private static async Task RunTaskAsync(Deployment deployment, Action<JObject> configure, JObject payload, Func<string, Uri, Task> walk)
    {
        // Task users must be able to reach their directories inside it (the engine warns otherwise).
        File.SetUnixFileMode(deployment.Folder, File.GetUnixFileMode(deployment.Folder) | UnixFileMode.OtherExecute);
        payload["features"] = new JObject { ["interactive"] = true };
        var taskId = await deployment.CreateTaskAsync(payload);
        // More than one task to run: the worker, and with it the webhook server, stays up after the task.
        var config = deployment.Config(tasks: 2);
        config["plugins"]!["interactive"] = new JObject();
        configure(config);
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(config, lifetime);
        try
        {
            await walk(taskId, await WaitForArtifactAsync(deployment, taskId));
            var status = await deployment.WaitForAsync(taskId, s => s.State is "completed" or "failed" or "exception");
            Assert.True(status.State == "completed", $"the task is {status.State} ({string.Join(", ", status.Runs.Select(r => r.ReasonResolved))}): {await LogAsync(deployment, taskId)}");
        }
        finally
        {
            lifetime.StopNow();
            await worker;
        }
    }

    private static async Task RunAsync(Action<JObject> configure, JObject payload, string identify, string identity)
    {
        await using var deployment = await Deployment.StartAsync();
        await RunTaskAsync(deployment, configure, payload, async (taskId, page) =>
        {
            Assert.StartsWith(deployment.Server.RootUrl.TrimEnd('/') + "/shell/?v=2&socketUrl=", page.AbsoluteUri, StringComparison.Ordinal);
            var query = System.Web.HttpUtility.ParseQueryString(page.Query);
            Assert.Equal(taskId, query["taskId"]);
            Assert.Equal("0", query["runId"]);
            var socketUrl = new Uri(query["socketUrl"]!);
            Assert.Equal("ws", socketUrl.Scheme);

            ShellClient first;
            try
            {
                first = await ShellClient.ConnectAsync(socketUrl);
            }
            catch (WebSocketException e)
            {
                var state = await deployment.WaitForAsync(taskId, s => s.State is "completed" or "failed" or "exception");
                Assert.Fail($"the shell did not open ({e.Message}); the task is {state.State}; {await LogAsync(deployment, taskId)}");
                throw;
            }

            await using var firstSession = first;
            await first.ResizeAsync(101, 31);
            await first.SendInputAsync($"stty size; echo sum-$((6*7)); {identify}\n");
            await first.WaitForOutputAsync("31 101\n");
            await first.WaitForOutputAsync("sum-42\n");
            await first.WaitForOutputAsync(identity);

            // Several at once, each its own shell.
            await using var second = await ShellClient.ConnectAsync(socketUrl);
            await second.SendInputAsync("echo second-$((2+3))\n");
            await second.WaitForOutputAsync("second-5\n");

            // An unknown message closes its own session and nothing else.
            await using (var broken = await ShellClient.ConnectAsync(socketUrl))
            {
                await broken.SendAsync([9, 1, 2, 3]);
                await broken.WaitForCloseAsync();
                Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, broken.CloseStatus);
            }

            // So does a frame the WebSocket protocol does not allow.
            Assert.Equal((int)WebSocketCloseStatus.ProtocolError, await MalformedFrame.SendAsync(socketUrl));

            await first.SendInputAsync("echo still-$((1+1))\n");
            await first.WaitForOutputAsync("still-2\n");

            await second.SendInputAsync("exit 3\n");
            await second.WaitForCloseAsync();
            Assert.Equal((WebSocketCloseStatus.NormalClosure, "exit 3"), (second.CloseStatus, second.CloseReason));

            // Ending the task closes the shells still open, and the address is gone.
            await first.SendInputAsync("touch done\n");
            await first.WaitForCloseAsync();
            Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "the task ended"), (first.CloseStatus, first.CloseReason));
            await deployment.WaitForAsync(taskId, s => s.State is "completed" or "failed" or "exception");
            using var http = new HttpClient();
            var after = await http.GetAsync(new UriBuilder(socketUrl) { Scheme = "http" }.Uri);
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        });
    }

    private static async Task<string> LogAsync(Deployment deployment, string taskId)
    {
        try
        {
            using var http = new HttpClient();
            return await http.GetStringAsync((await deployment.Queue.GetArtifactAsync(taskId, 0, "public/logs/live_backing.log")).Url);
        }
        catch (Exception e)
        {
            return $"no log ({e.Message})";
        }
    }

    private static async Task<Uri> WaitForArtifactAsync(Deployment deployment, string taskId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return new Uri((await deployment.Queue.GetArtifactAsync(taskId, 0, ArtifactName)).Url);
            }
            catch (Exception e)
            {
                if (DateTime.UtcNow > until)
                {
                    var status = await deployment.StatusAsync(taskId);
                    Assert.Fail($"{ArtifactName} did not appear ({e.Message}); the task is {status.State}: {string.Join(", ", status.Runs.Select(r => $"{r.State}/{r.ReasonResolved}"))}; {await LogAsync(deployment, taskId)}");
                }

                await Task.Delay(100);
            }
        }
    }
}
