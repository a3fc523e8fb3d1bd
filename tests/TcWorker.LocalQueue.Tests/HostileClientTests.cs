using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;
using Xunit.Abstractions;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Tests that measure this process's memory: they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "memory-measuring";
}

/// <summary>
/// Callers that try to hold the server's memory or connections: bodies from callers that are not
/// authenticated are never read, slow bodies and heads are cut off, connections are bounded.
/// </summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class HostileClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Bodies_of_anonymous_and_badly_signed_callers_are_refused_unread()
    {
        // more per connection than the server's own read buffer (1 MiB), so that the bodies would show if they were kept
        const int Connections = 64;
        const int Sent = 4 << 20;
        await using var h = await QueueHarness.StartAsync();
        var body = new byte[Sent];
        body.AsSpan().Fill((byte)' ');
        var before = Heap();
        var connections = new List<RawConnection>();
        try
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, Connections).Select(async i =>
            {
                var connection = await RawConnection.OpenAsync(h.Server.RootUrl);
                lock (connections)
                {
                    connections.Add(connection);
                }

                // part of a 10 MiB body, then silence
                var target = $"/api/queue/v1/task/{QueueHarness.NewTaskId()}";
                var authorization = i % 2 == 0 ? string.Empty : $"Authorization: {BadlySigned(h, target)}\r\n";
                await connection.SendAsync(RawConnection.Head("PUT", target, h.Server.RootUrl, $"Content-Type: application/json\r\nContent-Length: {10 << 20}\r\n{authorization}"), Patience);
                await connection.SendAsync(body, Patience);
                return (i, await connection.ReadStatusAsync(Patience));
            }));
            var held = Heap() - before;
            output.WriteLine($"{Connections} connections that sent {Sent >> 20} MiB each of a 10 MiB body: the heap grew by {held / (1 << 20)} MiB");
            Assert.All(statuses, s => Assert.Equal(s.i % 2 == 0 ? "HTTP/1.1 403 Forbidden" : "HTTP/1.1 401 Unauthorized", s.Item2));
            Assert.True(held < Connections * (long)Sent / 2, $"the heap grew by {held} bytes");
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }

        // signed callers are served as before, with or without a payload hash
        await h.CreateAsync();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await SendHashedAsync(h, QueueHarness.Task().ToString(), tamper: false)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await SendHashedAsync(h, QueueHarness.Task().ToString(), tamper: true)).StatusCode);
    }

    [Fact]
    public async Task A_stalled_api_body_ends_with_408_after_the_body_timeout()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { RequestBodyTimeout = TimeSpan.FromSeconds(1) });
        using var connection = await RawConnection.OpenAsync(h.Server.RootUrl);
        var target = $"/api/queue/v1/task/{QueueHarness.NewTaskId()}";
        var authorization = HawkSigner.CreateAuthorizationHeader(h.Server.RootCredentials, "PUT", new Uri(h.Server.RootUrl + target), DateTimeOffset.UtcNow);
        await connection.SendAsync(RawConnection.Head("PUT", target, h.Server.RootUrl, $"Content-Type: application/json\r\nContent-Length: 100000\r\nAuthorization: {authorization}\r\n"), Patience);
        await connection.SendAsync("{\"a\": 1"u8.ToArray(), Patience);
        Assert.Equal("HTTP/1.1 408 Request Timeout", await connection.ReadStatusAsync(Patience));
        Assert.True(await connection.ClosedWithinAsync(Patience));
    }

    [Fact]
    public async Task Bytes_sent_ahead_do_not_pay_for_a_stalled_artifact_upload()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { MinRequestBodyDataRate = 65536, MinRequestBodyDataRateWindow = TimeSpan.FromSeconds(1) });
        var taskId = await h.CreateAsync();
        await h.ClaimAsync();
        var created = await h.Root.CallAsync<JObject>(HttpMethod.Post, "queue", $"/task/{taskId}/runs/0/artifacts/public/big.bin", new JObject
        {
            ["storageType"] = "s3",
            ["expires"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O"),
            ["contentType"] = "application/octet-stream",
        });
        var putUrl = new Uri((string)created["putUrl"]!);
        using var connection = await RawConnection.OpenAsync(h.Server.RootUrl);
        await connection.SendAsync(RawConnection.Head("PUT", putUrl.PathAndQuery, h.Server.RootUrl, "Content-Type: application/octet-stream\r\nContent-Length: 8388608\r\n"), Patience);
        Assert.True(await connection.SendAsync(new byte[4 << 20], Patience));
        Assert.Equal("HTTP/1.1 408 Request Timeout", await connection.ReadStatusAsync(Patience));
        Assert.True(await connection.ClosedWithinAsync(Patience));

        // an upload that keeps coming is stored
        using var http = new HttpClient();
        using var content = new ByteArrayContent(new byte[4 << 20]);
        content.Headers.ContentType = new("application/octet-stream");
        using var put = await http.PutAsync(putUrl, content);
        Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task A_head_that_never_ends_is_cut_off_after_the_headers_timeout()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { RequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var connection = await RawConnection.OpenAsync(h.Server.RootUrl);
        await connection.SendAsync(Encoding.ASCII.GetBytes($"GET /api/queue/v1/ping HTTP/1.1\r\nHost: {new Uri(h.Server.RootUrl).Authority}\r\nX-Slow: "), Patience);
        Assert.True(await connection.ClosedWithinAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_until_others_end()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { MaxConnections = 3 });
        var ping = Encoding.ASCII.GetBytes($"GET /api/queue/v1/ping HTTP/1.1\r\nHost: {new Uri(h.Server.RootUrl).Authority}\r\n\r\n");
        var open = new List<RawConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await RawConnection.OpenAsync(h.Server.RootUrl));
                await open[i].SendAsync(ping, Patience);
                Assert.Equal("HTTP/1.1 200 OK", await open[i].ReadStatusAsync(Patience));
            }

            using var extra = await RawConnection.OpenAsync(h.Server.RootUrl);
            await extra.SendAsync(ping, Patience);
            Assert.Equal("closed", await extra.ReadStatusAsync(Patience));
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }

        for (var attempt = 0; ; attempt++)
        {
            using var later = await RawConnection.OpenAsync(h.Server.RootUrl);
            await later.SendAsync(ping, Patience);
            var status = await later.ReadStatusAsync(Patience);
            if (status == "HTTP/1.1 200 OK" || attempt == 20)
            {
                Assert.Equal("HTTP/1.1 200 OK", status);
                break;
            }

            await Task.Delay(100);
        }
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>A header for the root client's id with the wrong key.</summary>
    private static string BadlySigned(QueueHarness h, string target) =>
        HawkSigner.CreateAuthorizationHeader(new TaskclusterCredentials(h.Server.RootCredentials.ClientId, "not-the-key"), "PUT", new Uri(h.Server.RootUrl + target), DateTimeOffset.UtcNow);

    /// <summary>createTask signed with a payload hash, of this body or (tampered) of another.</summary>
    private static async Task<HttpResponseMessage> SendHashedAsync(QueueHarness h, string body, bool tamper)
    {
        var uri = new Uri($"{h.Server.RootUrl}/api/queue/v1/task/{QueueHarness.NewTaskId()}");
        var hash = HawkCrypto.PayloadHash("application/json", Encoding.UTF8.GetBytes(tamper ? body + " " : body));
        using var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(h.Server.RootCredentials, "PUT", uri, DateTimeOffset.UtcNow, hash));
        using var http = new HttpClient();
        return await http.SendAsync(request);
    }
}
