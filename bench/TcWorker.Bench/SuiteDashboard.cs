using System.Globalization;
using Microsoft.Playwright;
using TcWorker.Runtime.Workers;

namespace TcWorker.Bench;

/// <summary>Figure 14: the local queue's dashboard in a real headless Chromium (Debian's).</summary>
internal static partial class Suite
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// 14a. Task list: the first page of the task list with N tasks in the queue, from navigation
    /// start to the first paint after the rows are in the page (server time, module loads, the
    /// signed API call, rendering), as the page itself measures it (performance marks); the median
    /// of several loads after a warm-up. Baseline: the same with the small history's tasks.
    /// 14b. Live-log view: a task writes M bytes of 100-byte lines as fast as it can while the
    /// dashboard's log page follows it; the rate at which the viewer takes the text in (split into
    /// lines, ANSI state, error search, rendering), from its first byte to its end. Baseline: the
    /// same bytes read by the same browser without the viewer.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> DashboardAsync(BenchOptions options)
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing (apt-get install chromium)");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var figures = new List<Figure>();
        var small = await SeededQueueAsync(options.GrowthSmallHistory);
        var large = await SeededQueueAsync(options.DashboardTasks);
        await using (small.ConfigureAwait(false))
        await using (large.ConfigureAwait(false))
        {
            var smallTimes = new List<double>();
            var largeTimes = new List<double>();
            var profiles = new List<double[]>();
            await TaskListLoadAsync(browser, small.Harness);
            await TaskListLoadAsync(browser, large.Harness);
            for (var i = 0; i < options.DashboardLoads; i++)
            {
                smallTimes.Add((await TaskListLoadAsync(browser, small.Harness))[^1]);
                var profile = await TaskListLoadAsync(browser, large.Harness, TraceFile(i));
                profiles.Add(profile);
                largeTimes.Add(profile[^1]);
            }

            PrintTaskListProfile(profiles);
            var value = Stats.Median(largeTimes);
            figures.Add(new($"dashboard task list, first page, {options.DashboardTasks:N0} tasks (baseline: {options.GrowthSmallHistory:N0})", "ms", value, Stats.Median(smallTimes), value / Stats.Median(smallTimes), "< 200 ms", value < 200));
        }

        await using var harness = await Harness.StartAsync();
        var (viewer, raw, capacity) = await LiveLogViewAsync(browser, harness, options.DashboardLogBytes);
        figures.Add(new($"dashboard live-log view, {options.DashboardLogBytes >> 20} MiB", "MiB/s", viewer, raw, viewer / raw, ">= 10 MiB/s", viewer >= 10));
        figures.Add(new($"dashboard live-log view, {options.DashboardLogBytes >> 20} MiB, per second of the page's main thread", "MiB/s", capacity, raw, capacity / raw, ">= 10 MiB/s", capacity >= 10));
        return figures;
    }

    // The measuring scripts are evaluated strings, which the dashboard's policy forbids.
    private static async Task<IPage> SignedInPageAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, BypassCSP = true });
        await page.AddInitScriptAsync($"sessionStorage.setItem('tc-worker.credentials', JSON.stringify({{clientId: '{Harness.RootClientId}', accessToken: '{Harness.RootAccessToken}'}}))");
        return page;
    }

    /// <summary>
    /// Where the first page's time goes, from the page's own timings (navigation, resource and user
    /// marks): [HTML received, last module received (the HTML's end when the page fetches none), modules fetched, list page started, listTasks
    /// sent (after signing), its request started, its first byte, its last byte, its JSON read, rows
    /// in the page, painted], each in ms from navigation start (NaN for a mark the page lacks).
    /// </summary>
    private const string TaskListTimings =
        """
        () => {
          const nav = performance.getEntriesByType('navigation')[0];
          const resources = performance.getEntriesByType('resource');
          const list = resources.find((r) => r.name.includes('/api/local/v1/tasks'));
          const modules = resources.filter((r) => r.name.includes('/ui/') && r.name.endsWith('.js'));
          const start = performance.getEntriesByName('tasks-start')[0];
          const mark = (name) => performance.getEntriesByName(name)[0].startTime;
          const answered = performance.getEntriesByName('tasks-answered')[0];
          return [nav.responseEnd, Math.max(nav.responseEnd, ...modules.map((m) => m.responseEnd)), modules.length, start ? start.startTime : NaN,
            list.startTime, list.requestStart, list.responseStart, list.responseEnd, answered ? answered.startTime : NaN, mark('tasks-rendered'), mark('tasks-painted')];
        }
        """;

    /// <summary>
    /// Where a Chromium trace (devtools.timeline) of the measured load <paramref name="load"/> of the
    /// large queue goes: into the folder TCWORKER_BENCH_DASHBOARD_TRACE names, when set (a traced
    /// load is slower; its figure is not to be quoted).
    /// </summary>
    private static string? TraceFile(int load) =>
        Environment.GetEnvironmentVariable("TCWORKER_BENCH_DASHBOARD_TRACE") is { Length: > 0 } folder
            ? Path.Combine(Directory.CreateDirectory(folder).FullName, string.Create(CultureInfo.InvariantCulture, $"task-list-{load}.json"))
            : null;

    private const string PaintedOnConsole =
        """
        new PerformanceObserver((list, observer) => {
          if (list.getEntries().some((e) => e.name === 'tasks-painted')) { observer.disconnect(); console.debug('tasks-painted'); }
        }).observe({ type: 'mark' });
        """;

    /// <summary>The page's timings of one load of the task list (see <see cref="TaskListTimings"/>); the last is the figure: navigation start to the first paint of the first page.</summary>
    private static async Task<double[]> TaskListLoadAsync(IBrowser browser, Harness harness, string? trace = null)
    {
        var page = await SignedInPageAsync(browser);

        // The page says when it painted on its console: waiting for the mark with a polling function
        // would have Playwright evaluate its own script in the page while it loads, tens of
        // milliseconds of a fresh renderer's main thread that land on the measured path or not.
        await page.AddInitScriptAsync(PaintedOnConsole);
        var painted = page.WaitForConsoleMessageAsync(new() { Predicate = m => m.Text == "tasks-painted", Timeout = 60_000 });
        var tracing = trace is null ? null : await TraceAsync(page);
        try
        {
            await page.GotoAsync(harness.Server.RootUrl + "/#/");
            await painted;
            return await page.EvaluateAsync<double[]>(TaskListTimings);
        }
        finally
        {
            if (tracing is not null)
            {
                await File.WriteAllTextAsync(trace!, await tracing());
            }

            await page.CloseAsync();
        }
    }

    /// <summary>Starts a Chromium trace of the page (DevTools protocol); the function returned ends it and gives the trace as JSON.</summary>
    private static async Task<Func<Task<string>>> TraceAsync(IPage page)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        var events = new List<System.Text.Json.JsonElement>();
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Event("Tracing.dataCollected").OnEvent += (_, data) => events.AddRange(data!.Value.GetProperty("value").EnumerateArray().Select(e => e.Clone()));
        session.Event("Tracing.tracingComplete").OnEvent += (_, _) => complete.TrySetResult();
        await session.SendAsync("Tracing.start", new Dictionary<string, object>
        {
            ["transferMode"] = "ReportEvents",
            ["traceConfig"] = new Dictionary<string, object> { ["includedCategories"] = new[] { "devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing", "loading", "v8.execute", "fonts", "toplevel", "netlog", "blink", "cc", "gpu", "renderer.scheduler" } },
        });
        return async () =>
        {
            await session.SendAsync("Tracing.end");
            await complete.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return System.Text.Json.JsonSerializer.Serialize(new { traceEvents = events });
        };
    }

    /// <summary>The medians of the task list's phases, on stderr: what the first page's time is made of.</summary>
    private static void PrintTaskListProfile(IReadOnlyList<double[]> profiles)
    {
        double Median(Func<double[], double> phase) => Stats.Median(profiles.Select(phase));
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"dashboard task list, medians in ms: HTML {Median(p => p[0]):F1}; modules ({Median(p => p[2]):F0}) until {Median(p => p[1]):F1}; page start {Median(p => p[3]):F1}; " +
            $"signing {Median(p => p[4] - p[3]):F1}; listTasks queued {Median(p => p[5] - p[4]):F1}, server (to first byte) {Median(p => p[6] - p[5]):F1}, body {Median(p => p[7] - p[6]):F1}; " +
            $"JSON read {Median(p => p[8] - p[7]):F1}; rows {Median(p => p[9] - p[8]):F1} (from the last byte {Median(p => p[9] - p[7]):F1}); paint {Median(p => p[10] - p[9]):F1}; total {Median(p => p[10]):F1}"));
    }

    /// <summary>
    /// The viewer's intake rate, the browser's raw read of the same log, and the viewer's capacity:
    /// the log's size over the time the page's main thread was busy while it followed the log
    /// (Chromium's own TaskDuration metric), in MiB/s.
    /// </summary>
    private static async Task<(double Viewer, double Raw, double Capacity)> LiveLogViewAsync(IBrowser browser, Harness harness, long bytes)
    {
        const string queue = "bench/dashboard-log";

        // no line matches the error search, so every line goes through it
        var line = new string('x', 80) + " \u001b[32mok\u001b[0m all good";
        var produce = $"yes '{line}' | head -c {bytes.ToString(CultureInfo.InvariantCulture)}";
        var taskId = await harness.CreateTaskAsync(queue, "sh", "-c", produce);
        var page = await SignedInPageAsync(browser);
        var metrics = await page.Context.NewCDPSessionAsync(page);
        await metrics.SendAsync("Performance.enable");
        var busyBefore = await MainThreadSecondsAsync(metrics);
        using var lifetime = new WorkerLifetime();
        var worker = Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: 1), lifetime);
        await page.GotoAsync(harness.Server.RootUrl + $"/#/tasks/{taskId}/runs/0/log");
        try
        {
            await page.WaitForFunctionAsync("window.logViewer && window.logViewer.endedAt !== undefined", null, new() { Timeout = 60_000 + (bytes >> 20) * 2000, PollingInterval = 100 });
        }
        catch (TimeoutException e)
        {
            var state = await page.EvaluateAsync<string>("window.logViewer ? window.logViewer.root.dataset.status + ', ' + window.logViewer.received + ' characters' : document.body.innerText");
            throw new InvalidOperationException($"the log view did not end (task {(await harness.StatusAsync(taskId)).State}; viewer: {state})", e);
        }

        var busy = await MainThreadSecondsAsync(metrics) - busyBefore;
        var viewer = await page.EvaluateAsync<double[]>("[window.logViewer.received, window.logViewer.endedAt - window.logViewer.receivedAt, window.logViewer.lines.length, window.logViewer.busy ?? NaN]");
        await worker;
        if (viewer[0] < bytes)
        {
            throw new InvalidOperationException($"the viewer took in {viewer[0]} characters of {bytes}");
        }

        // The same bytes, read by the browser alone: the backing log, now complete.
        var raw = await page.EvaluateAsync<double[]>(
            """
            async ([taskId]) => {
              const { artifactUrl } = await import('/ui/api.js');
              const { url } = await artifactUrl(taskId, 0, 'public/logs/live_backing.log');
              const start = performance.now();
              const reader = (await fetch(url)).body.getReader();
              let total = 0;
              for (;;) { const { value, done } = await reader.read(); if (done) break; total += value.length; }
              return [total, performance.now() - start];
            }
            """,
            new object[] { taskId });
        await page.CloseAsync();
        double Rate(double length, double milliseconds) => length / (1 << 20) / (milliseconds / 1000);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dashboard live-log view: {viewer[2]:F0} lines over {viewer[1]:F0} ms from the first byte; the page's main thread busy {busy * 1000:F0} ms, {viewer[3]:F0} ms of it in the viewer's own code"));
        return (Rate(viewer[0], viewer[1]), Rate(raw[0], raw[1]), Rate(viewer[0], busy * 1000));
    }

    /// <summary>Chromium's TaskDuration of the page: the seconds its main thread has been busy so far.</summary>
    private static async Task<double> MainThreadSecondsAsync(ICDPSession session)
    {
        var answer = await session.SendAsync("Performance.getMetrics");
        foreach (var metric in answer!.Value.GetProperty("metrics").EnumerateArray())
        {
            if (metric.GetProperty("name").GetString() == "TaskDuration")
            {
                return metric.GetProperty("value").GetDouble();
            }
        }

        throw new InvalidOperationException("Chromium reported no TaskDuration metric");
    }
}
