using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Tests.Support;

namespace TcWorker.Taskcluster.Tests;

public sealed class RetryTests
{
    private static readonly JObject ServerError = new() { ["code"] = "InternalServerError", ["message"] = "boom", ["requestInfo"] = new JObject() };
    private static readonly JObject Pong = new() { ["alive"] = true };

    [Fact]
    public async Task Server_errors_are_retried_with_a_fresh_signature_until_success()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/__version__", (_, attempt) => attempt <= 2 ? new Reply(503, ServerError) : new Reply(200, new JObject { ["version"] = "1" }));
        using var client = Client(fake.Url, maxRetries: 5);
        var version = await client.Queue.VersionAsync();
        Assert.Equal("1", (string)version["version"]!);
        Assert.Equal(3, fake.Requests.Count);
        Assert.Equal(3, fake.Requests.Select(r => r.Header("Authorization")).Distinct().Count());
    }

    [Fact]
    public async Task Server_errors_exhaust_the_retries_and_surface_the_last_error()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("POST", "/api/queue/v1/claim-work/p%2Fw", new Reply(500, ServerError));
        using var client = Client(fake.Url, maxRetries: 2);
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.ClaimWorkAsync("p/w", new ClaimWorkRequest { WorkerGroup = "g", WorkerId = "i" }));
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal("InternalServerError", error.Code);
        Assert.Equal(3, fake.Requests.Count);
        Assert.All(fake.Requests, r => Assert.Equal("{\"workerGroup\":\"g\",\"workerId\":\"i\",\"tasks\":1}", r.BodyText));
    }

    [Theory]
    [InlineData(400, "InputError")]
    [InlineData(401, "AuthenticationFailed")]
    [InlineData(403, "InsufficientScopes")]
    [InlineData(404, "ResourceNotFound")]
    [InlineData(409, "RequestConflict")]
    public async Task Client_errors_are_never_retried(int status, string code)
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("POST", $"/api/queue/v1/task/{Canned.TaskId}/runs/0/reclaim", new Reply(status, new JObject { ["code"] = code, ["message"] = "no", ["requestInfo"] = new JObject() }));
        using var client = Client(fake.Url, maxRetries: 5);
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.ReclaimTaskAsync(Canned.TaskId, 0));
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal(code, error.Code);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task A_success_body_that_is_not_json_is_a_typed_error_and_a_non_taskcluster_error_body_keeps_its_text()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/__version__", new Reply(200, new JValue("<html>proxy</html>")));
        fake.On("GET", "/api/queue/v1/task/x/status", new Reply(404, new JValue("not here")));
        using var client = Client(fake.Url, maxRetries: 3);
        var invalid = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.VersionAsync());
        Assert.Equal("InvalidResponse", invalid.Code);
        Assert.Single(fake.Requests);
        var notFound = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.StatusAsync("x"));
        Assert.Equal("HttpError", notFound.Code);
        Assert.Contains("not here", notFound.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_server_times_out_each_attempt()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/ping", new Reply(200, Pong, Delay: TimeSpan.FromSeconds(30)));
        using var client = Client(fake.Url, maxRetries: 1, timeout: TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.PingAsync());
        Assert.Equal("RequestTimeout", error.Code);
        Assert.Null(error.StatusCode);
        Assert.Equal(2, fake.Requests.Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task A_slow_answer_within_the_timeout_is_not_retried()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/ping", new Reply(200, Pong, Delay: TimeSpan.FromMilliseconds(500)));
        using var client = Client(fake.Url, maxRetries: 3, timeout: TimeSpan.FromSeconds(20));
        await client.Queue.PingAsync();
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task Network_errors_are_retried_then_reported()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await listener.AcceptSocketAsync();
                Interlocked.Increment(ref accepted);
                try
                {
                    // A reset instead of a clean close; the client may already be gone (ENOTCONN), which is a reset too.
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (SocketException)
                {
                }
            }
        });
        try
        {
            using var client = Client($"http://127.0.0.1:{port}", maxRetries: 2);
            var error = await Assert.ThrowsAsync<TaskclusterException>(() => client.Queue.PingAsync());
            Assert.Equal("NetworkError", error.Code);
            Assert.True(error.InnerException is HttpRequestException or SocketException, $"not a network error: {error.InnerException}");
            Assert.Equal(3, Volatile.Read(ref accepted));
        }
        finally
        {
            listener.Stop();
            await Assert.ThrowsAnyAsync<Exception>(() => serving);
        }
    }

    [Fact]
    public async Task Cancellation_stops_a_hanging_request_and_a_backoff_wait()
    {
        await using var fake = await FakeService.StartAsync();
        fake.On("GET", "/api/queue/v1/ping", new Reply(200, Pong, Delay: TimeSpan.FromSeconds(30)));
        fake.On("GET", "/api/queue/v1/__version__", new Reply(500, ServerError));
        using var client = Client(fake.Url, maxRetries: 5, timeout: TimeSpan.FromSeconds(60));

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Queue.PingAsync(cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), watch.Elapsed.ToString());

        using var slowRetries = new TaskclusterClient(client.Options with { RetryDelayFactor = TimeSpan.FromMinutes(1) });
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowRetries.Queue.VersionAsync(cts2.Token));
        Assert.Single(fake.Requests, r => r.RawTarget.EndsWith("__version__", StringComparison.Ordinal));
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_a_cap()
    {
        var executor = new RetryExecutor(new TaskclusterClientOptions { RootUrl = "http://x", RetryDelayFactor = TimeSpan.FromMilliseconds(100), RandomizationFactor = 0.25, MaxRetryDelay = TimeSpan.FromSeconds(1) });
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(executor.Backoff(1).TotalMilliseconds, 75, 125);
            Assert.InRange(executor.Backoff(3).TotalMilliseconds, 300, 500);
            Assert.Equal(1000, executor.Backoff(10).TotalMilliseconds);
        }
    }

    private static TaskclusterClient Client(string url, int maxRetries, TimeSpan? timeout = null) =>
        new(new TaskclusterClientOptions
        {
            RootUrl = url, Credentials = Canned.Worker, MaxRetries = maxRetries,
            RetryDelayFactor = TimeSpan.FromMilliseconds(1), Timeout = timeout ?? TimeSpan.FromSeconds(10),
        });
}
