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
            await TaskListLoadAsync(browser, small.Harness);
            await TaskListLoadAsync(browser, large.Harness);
            for (var i = 0; i < options.DashboardLoads; i++)
            {
                smallTimes.Add(await TaskListLoadAsync(browser, small.Harness));
                largeTimes.Add(await TaskListLoadAsync(browser, large.Harness));
            }

            var value = Stats.Median(largeTimes);
            figures.Add(new($"dashboard task list, first page, {options.DashboardTasks:N0} tasks (baseline: {options.GrowthSmallHistory:N0})", "ms", value, Stats.Median(smallTimes), value / Stats.Median(smallTimes), "< 200 ms", value < 200));
        }

        await using var harness = await Harness.StartAsync();
        var (viewer, raw) = await LiveLogViewAsync(browser, harness, options.DashboardLogBytes);
        figures.Add(new($"dashboard live-log view, {options.DashboardLogBytes >> 20} MiB", "MiB/s", viewer, raw, viewer / raw, ">= 10 MiB/s", viewer >= 10));
        return figures;
    }

    // The measuring scripts are evaluated strings, which the dashboard's policy forbids.
    private static async Task<IPage> SignedInPageAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, BypassCSP = true });
        await page.AddInitScriptAsync($"sessionStorage.setItem('tc-worker.credentials', JSON.stringify({{clientId: '{Harness.RootClientId}', accessToken: '{Harness.RootAccessToken}'}}))");
        return page;
    }

    /// <summary>Milliseconds from navigation start to the first paint of the task list's first page.</summary>
    private static async Task<double> TaskListLoadAsync(IBrowser browser, Harness harness)
    {
        var page = await SignedInPageAsync(browser);
        try
        {
            await page.GotoAsync(harness.Server.RootUrl + "/#/");
            await page.WaitForFunctionAsync("performance.getEntriesByName('tasks-painted').length > 0", null, new() { Timeout = 60_000 });
            return await page.EvaluateAsync<double>("performance.getEntriesByName('tasks-painted')[0].startTime");
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>The viewer's intake rate, and the browser's raw read of the same log, in MiB/s.</summary>
    private static async Task<(double Viewer, double Raw)> LiveLogViewAsync(IBrowser browser, Harness harness, long bytes)
    {
        const string queue = "bench/dashboard-log";
        var line = new string('x', 80) + " \u001b[32mok\u001b[0m error-free line";
        var produce = $"yes '{line}' | head -c {bytes.ToString(CultureInfo.InvariantCulture)}";
        var taskId = await harness.CreateTaskAsync(queue, "sh", "-c", produce);
        var page = await SignedInPageAsync(browser);
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

        var viewer = await page.EvaluateAsync<double[]>("[window.logViewer.received, window.logViewer.endedAt - window.logViewer.receivedAt, window.logViewer.lines.length]");
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
        return (Rate(viewer[0], viewer[1]), Rate(raw[0], raw[1]));
    }
}
