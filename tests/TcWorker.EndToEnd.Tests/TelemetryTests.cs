using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The worker's telemetry as a collector or a scraper sees it: OTLP/HTTP to a loopback receiver, the
/// spans of a run through the in-memory exporter, the Prometheus endpoint, and a collector that is
/// down or never answers.
/// </summary>
public sealed partial class TelemetryTests
{
    private static readonly JObject ArtifactTask = new()
    {
        ["command"] = new JArray { new JArray("sh", "-c", "echo telemetry > out.txt") },
        ["artifacts"] = new JArray { new JObject { ["type"] = "file", ["path"] = "out.txt", ["name"] = "public/out.txt" } },
    };

    [Fact]
    public async Task Otlp_export_reaches_a_loopback_receiver_with_its_headers_and_without_signatures_or_secret_paths()
    {
        await using var deployment = await Deployment.StartAsync();
        using var receiver = OtlpReceiver.Start();
        var config = deployment.Config(tasks: 1, worker: w => w["artifactStorage"] = "s3");
        config["telemetry"] = new JObject
        {
            ["otlp"] = new JObject { ["endpoint"] = receiver.Url, ["interval"] = 0.2, ["headers"] = new JObject { ["x-api-key"] = "collector-key" } },
        };
        var taskId = await deployment.CreateTaskAsync(ArtifactTask);
        using var lifetime = new WorkerLifetime();
        Assert.Equal(WorkerStopReason.TaskLimitReached, await Deployment.RunWorkerAsync(config, lifetime));
        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).State);

        var traces = receiver.Bodies("/v1/traces");
        var metrics = receiver.Bodies("/v1/metrics");
        Assert.Contains(traces, body => body.Contains(taskId, StringComparison.Ordinal));
        string[] spanNames = ["tcworker.task.run", "tcworker.task.stage wait", "tcworker.task.stage upload-log", "queue POST /task/{}/runs/{}/completed", "upload PUT artifact", "service.name", "tc-worker"];
        Assert.Equal([], spanNames.Where(name => !traces.Any(body => body.Contains(name, StringComparison.Ordinal))).ToArray());
        string[] metricNames = ["tcworker.claims", "tcworker.resolutions", "tcworker.run.duration", "tcworker.capacity.used", "tcworker.capacity.limit", "tcworker.taskcluster.call.duration", "tcworker.upload.size"];
        Assert.Equal([], metricNames.Where(name => !metrics.Any(body => body.Contains(name, StringComparison.Ordinal))).ToArray());

        Assert.All(receiver.Requests, request =>
        {
            Assert.Equal("collector-key", request.Headers["x-api-key"]);
            Assert.Equal("application/x-protobuf", request.Headers["Content-Type"]);
        });

        // The s3 upload went to a presigned URL (…/<32 hex>?expires=…&signature=…): neither its query nor its key was exported.
        Assert.All(traces.Concat(metrics), body =>
        {
            Assert.DoesNotContain("signature=", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("expires=", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("bewit", body, StringComparison.OrdinalIgnoreCase);
            Assert.False(SecretLooking().IsMatch(body), "a secret-looking path segment was exported");
        });
        Assert.Contains(traces, body => body.Contains("{redacted}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_is_a_span_with_a_child_per_stage_and_its_queue_calls_below_them()
    {
        await using var deployment = await Deployment.StartAsync();
        var spans = new List<Activity>();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddSource("TcWorker", "TcWorker.Taskcluster").AddInMemoryExporter(spans).Build())
        {
            var taskId = await deployment.CreateTaskAsync(ArtifactTask);
            using var lifetime = new WorkerLifetime();
            await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);
            tracing.ForceFlush();

            Activity[] exported;
            lock (spans)
            {
                exported = [.. spans];
            }

            var run = Assert.Single(exported, s => s.DisplayName == "tcworker.task.run" && (string?)s.GetTagItem("tc.task.id") == taskId);
            Assert.Equal(0, run.GetTagItem("tc.run.id"));
            Assert.Equal("completed", run.GetTagItem("tc.resolution.state"));
            Assert.Equal(default, run.ParentSpanId);
            var stages = exported.Where(s => s.ParentSpanId == run.SpanId && s.OperationName == "tcworker.task.stage").ToList();
            Assert.Equal(
                ["prepare", "build", "start", "started", "wait", "stopped", "finished", "dispose", "upload-log", "resolve"],
                stages.OrderBy(s => s.StartTimeUtc).Select(s => (string?)s.GetTagItem("tcworker.stage")));
            var resolve = stages.Single(s => (string?)s.GetTagItem("tcworker.stage") == "resolve");
            var completed = Assert.Single(exported, s => s.ParentSpanId == resolve.SpanId);
            Assert.Equal("queue POST /task/{}/runs/{}/completed", completed.DisplayName);
            Assert.Equal(ActivityKind.Client, completed.Kind);
            Assert.Equal(200, completed.GetTagItem("http.response.status_code"));
            var finished = stages.Single(s => (string?)s.GetTagItem("tcworker.stage") == "finished");
            Assert.Contains(exported, s => s.DisplayName == "object POST /finish-upload/{}" && s.TraceId == run.TraceId);
            Assert.True(exported.Where(s => s.TraceId == run.TraceId).All(s => s.ParentSpanId == default || exported.Any(p => p.SpanId == s.ParentSpanId)), "every span of the run hangs in its tree");
            Assert.True(finished.Duration > TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task The_prometheus_endpoint_serves_the_metrics_in_text_format_on_loopback()
    {
        await using var deployment = await Deployment.StartAsync();
        var port = FreePort();
        var config = deployment.Config(tasks: 1, worker: w => w.Remove("numberOfTasksToRun"));
        config["telemetry"] = new JObject { ["prometheus"] = new JObject { ["listen"] = $"127.0.0.1:{port}" } };
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(config, lifetime);
        try
        {
            var taskId = await deployment.CreateTaskAsync(ArtifactTask);
            await deployment.WaitForAsync(taskId, s => s.State == "completed");
            using var http = new HttpClient();
            HttpResponseMessage response;
            string text;
            var until = Stopwatch.StartNew();
            do
            {
                // The queue may say completed a moment before the worker has counted the resolution.
                response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
                text = await response.Content.ReadAsStringAsync();
            }
            while (!text.Contains(Resolved, StringComparison.Ordinal) && until.Elapsed < TimeSpan.FromSeconds(10) && await Task.Delay(100).ContinueWith(_ => true));

            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            foreach (var line in new[]
            {
                "# TYPE tcworker_claims_total counter",
                "# TYPE tcworker_run_duration_seconds histogram",
                Resolved,
                "tcworker_run_duration_seconds_bucket{le=\"+Inf\"} ",
                "tcworker_run_duration_seconds_count ",
                "# TYPE tcworker_capacity_limit gauge\ntcworker_capacity_limit ",
                "# TYPE tcworker_capacity_used gauge\ntcworker_capacity_used ",
                "# TYPE tcworker_taskcluster_call_duration_seconds histogram",
                "tcworker_upload_size_bytes_total{method=",
            })
            {
                Assert.Contains(line, text, StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{port}/other")).StatusCode);
        }
        finally
        {
            lifetime.StopGracefully();
            await worker;
        }
    }

    [Fact]
    public async Task A_prometheus_address_in_use_is_a_config_error_naming_the_setting()
    {
        await using var deployment = await Deployment.StartAsync();
        using var taken = new HttpListener();
        var port = FreePort();
        taken.Prefixes.Add($"http://127.0.0.1:{port}/");
        taken.Start();
        var config = deployment.Config(tasks: 1);
        config["telemetry"] = new JObject { ["prometheus"] = new JObject { ["listen"] = $"127.0.0.1:{port}" } };
        using var lifetime = new WorkerLifetime();
        var error = await Assert.ThrowsAsync<ConfigException>(() => Deployment.RunWorkerAsync(config, lifetime));
        Assert.Contains("$.telemetry.prometheus.listen: the Prometheus endpoint could not listen", string.Join("\n", error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_on_a_closed_port_is_logged_once_and_tasks_go_on()
    {
        await using var deployment = await Deployment.StartAsync();
        var port = FreePort();
        var config = deployment.Config(tasks: 2);
        config["telemetry"] = new JObject { ["otlp"] = new JObject { ["endpoint"] = $"http://127.0.0.1:{port}", ["interval"] = 0.1, ["timeout"] = 1 } };
        var log = new ListLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(log));
        var first = await deployment.CreateTaskAsync(ArtifactTask);
        var second = await deployment.CreateTaskAsync(ArtifactTask);
        using var lifetime = new WorkerLifetime();
        Assert.Equal(WorkerStopReason.TaskLimitReached, await Deployment.RunWorkerAsync(config, lifetime, loggerFactory: loggerFactory));
        Assert.Equal("completed", (await deployment.StatusAsync(first)).State);
        Assert.Equal("completed", (await deployment.StatusAsync(second)).State);
        var failure = Assert.Single(log.Events, e => e.EventId.Id == 701);
        Assert.Contains($"127.0.0.1:{port}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("logged once", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_that_never_answers_holds_up_neither_the_task_nor_the_stop()
    {
        await using var deployment = await Deployment.StartAsync();
        using var blackHole = BlackHole.Start();
        var config = deployment.Config(tasks: 1);
        // An export may wait 60 s for an answer that never comes; nothing else waits for it.
        config["telemetry"] = new JObject { ["otlp"] = new JObject { ["endpoint"] = blackHole.Url, ["interval"] = 0.1, ["timeout"] = 60, ["maxQueueSize"] = 4 } };
        var taskId = await deployment.CreateTaskAsync(ArtifactTask);
        using var lifetime = new WorkerLifetime();
        var worker = Stopwatch.StartNew();
        Assert.Equal(WorkerStopReason.TaskLimitReached, await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(45)));
        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).State);
        Assert.True(blackHole.Connections > 0, "the exporter never tried the collector");
        Assert.True(worker.Elapsed < TimeSpan.FromSeconds(45), $"the worker took {worker.Elapsed} with a collector that never answers");
    }

    /// <summary>Labels come sorted by name.</summary>
    private const string Resolved = "tcworker_resolutions_total{reason=\"completed\",state=\"completed\"} ";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex SecretLooking();

    /// <summary>An OTLP/HTTP receiver on loopback: keeps every request (path, headers, body as Latin-1 text, where protobuf's strings stay readable) and answers 200.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ConcurrentQueue<(string Path, Dictionary<string, string> Headers, string Body)> requests = new();

        private OtlpReceiver(int port)
        {
            Url = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(Url + "/");
            listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public IReadOnlyList<(string Path, Dictionary<string, string> Headers, string Body)> Requests => [.. requests];

        public static OtlpReceiver Start() => new(FreePort());

        public List<string> Bodies(string path) => Requests.Where(r => r.Path == path).Select(r => r.Body).ToList();

        public void Dispose() => listener.Close();

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                var headers = context.Request.Headers.AllKeys.OfType<string>().ToDictionary(k => k, k => context.Request.Headers[k] ?? string.Empty, StringComparer.OrdinalIgnoreCase);
                requests.Enqueue((context.Request.Url!.AbsolutePath, headers, Encoding.Latin1.GetString(body.ToArray())));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }

    /// <summary>Accepts connections and never answers on them.</summary>
    private sealed class BlackHole : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentBag<TcpClient> held = [];

        private BlackHole()
        {
            listener.Start();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        held.Add(await listener.AcceptTcpClientAsync());
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Disposed.
                }
            });
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        public int Connections => held.Count;

        public static BlackHole Start() => new();

        public void Dispose()
        {
            listener.Stop();
            foreach (var client in held)
            {
                client.Dispose();
            }
        }
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<(EventId EventId, string Message)> events = new();

        public IReadOnlyList<(EventId EventId, string Message)> Events => [.. events];

        public ILogger CreateLogger(string categoryName) => new Logger(events);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(EventId, string)> events) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                events.Enqueue((eventId, formatter(state, exception)));
        }
    }
}
