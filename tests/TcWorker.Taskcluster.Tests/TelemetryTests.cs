using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

/// <summary>The client's spans and metrics, read through the same listeners OpenTelemetry uses.</summary>
public sealed class TelemetryTests
{
    private static readonly JObject ServerError = new() { ["code"] = "InternalServerError", ["message"] = "boom", ["requestInfo"] = new JObject() };

    [Theory]
    [InlineData("https://bucket.s3.example.com/3f2a9c0e7b1d4a6f8e5c2b0a9d7f6e4c?X-Amz-Signature=abc&X-Amz-Credential=AKIA", "https://bucket.s3.example.com/{redacted}")]
    [InlineData("http://127.0.0.1:5000/api/queue/v1/task/abc?bewit=secret#frag", "http://127.0.0.1:5000/api/queue/v1/task/abc")]
    [InlineData("https://user:password@worker.example.com:60023/q3kD9sE_x-7aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456/log", "https://worker.example.com:60023/{redacted}/log")]
    [InlineData("/q3kD9sE_x-7aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456/shell?token=t", "/{redacted}/shell")]
    [InlineData("/api/queue/v1/task/fN1ZHPvNTmu2QVUhNkTmVQ/runs/0/artifacts/public%2Flogs%2Flive.log", "/api/queue/v1/task/fN1ZHPvNTmu2QVUhNkTmVQ/runs/0/artifacts/public%2Flogs%2Flive.log")]
    public void Urls_lose_query_strings_user_info_and_secret_looking_path_segments(string url, string redacted)
    {
        Assert.Equal(redacted, TaskclusterTelemetry.RedactUrl(url));
        Assert.Equal(redacted, TaskclusterTelemetry.RedactUrl(redacted));
    }

    [Theory]
    [InlineData("/task/fN1ZHPvNTmu2QVUhNkTmVQ/runs/0/reclaim", "/task/{}/runs/{}/reclaim")]
    [InlineData("/claim-work/proj%2Ftype", "/claim-work/{}")]
    [InlineData("/task/fN1ZHPvNTmu2QVUhNkTmVQ/runs/0/artifacts/public%2Flogs%2Flive.log", "/task/{}/runs/{}/artifacts/{}")]
    public void Operations_are_paths_with_their_parameters_left_out(string path, string operation) =>
        Assert.Equal(operation, TaskclusterTelemetry.Operation(path));

    [Fact]
    public async Task A_call_is_one_client_span_and_its_retries_and_duration_are_counted()
    {
        await using var fake = await FakeService.StartAsync();
        const string operation = "/task/{}/runs/{}/reclaim";
        fake.On("POST", $"/api/queue/v1/task/{Canned.TaskId}/runs/0/reclaim", (_, attempt) => attempt <= 2 ? new Reply(503, ServerError) : new Reply(409, new JObject { ["code"] = "RequestConflict", ["message"] = "no", ["requestInfo"] = new JObject() }));
        // Other tests in this assembly make queue calls at the same time; only this call's flow counts.
        var ours = new AsyncLocal<bool>();
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TaskclusterTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { if (ours.Value) { spans.Add(span); } },
        };
        ActivitySource.AddActivityListener(activities);
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TaskclusterTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => { if (ours.Value) { measurements.Add((instrument.Name, value, Tags(tags))); } });
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => { if (ours.Value) { measurements.Add((instrument.Name, value, Tags(tags))); } });
        meters.Start();

        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = fake.Url, Credentials = Canned.Worker, RetryDelayFactor = TimeSpan.FromMilliseconds(1) });
        ours.Value = true;
        await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.ReclaimTaskAsync(Canned.TaskId, 0));

        var span = Assert.Single(spans, s => (string?)s.GetTagItem("tc.operation") == operation);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal($"queue POST {operation}", span.DisplayName);
        Assert.Equal(409, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal($"{fake.Url}/api/queue/v1/task/{Canned.TaskId}/runs/0/reclaim", span.GetTagItem("url.full"));
        Assert.Equal(2, measurements.Count(m => m.Instrument == "tcworker.taskcluster.call.retries" && (string?)m.Tags["tc.operation"] == operation && (string?)m.Tags["reason"] == "server-error"));
        var duration = Assert.Single(measurements, m => m.Instrument == "tcworker.taskcluster.call.duration" && (string?)m.Tags["tc.operation"] == operation);
        Assert.Equal("409", duration.Tags["outcome"]);
        Assert.Equal("queue", duration.Tags["tc.service"]);
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (key, value) in tags)
        {
            result[key] = value;
        }

        return result;
    }
}
