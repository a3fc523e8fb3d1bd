using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>A canned reply.</summary>
internal sealed record Reply(int Status, JToken? Body = null, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default);

/// <summary>A loopback server answering routes ("METHOD raw-target") with canned replies; the handler sees the attempt number (1-based).</summary>
internal sealed class FakeService : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Func<RecordedRequest, int, Reply>> routes = new();
    private readonly ConcurrentDictionary<string, int> attempts = new();
    private LoopbackServer server = null!;

    public string Url => server.Url;

    public IReadOnlyList<RecordedRequest> Requests => server.Requests.ToArray();

    public static async Task<FakeService> StartAsync()
    {
        var fake = new FakeService();
        fake.server = await LoopbackServer.StartAsync(fake.HandleAsync);
        return fake;
    }

    public void On(string method, string target, Reply reply) => On(method, target, (_, _) => reply);

    public void On(string method, string target, Func<RecordedRequest, int, Reply> reply) => routes[method + " " + target] = reply;

    public ValueTask DisposeAsync() => server.DisposeAsync();

    private async Task HandleAsync(HttpContext context, RecordedRequest request)
    {
        var key = request.Method + " " + request.RawTarget;
        var attempt = attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        var reply = routes.TryGetValue(key, out var route)
            ? route(request, attempt)
            : new Reply(404, new JObject { ["code"] = "ResourceNotFound", ["message"] = "No route " + key, ["requestInfo"] = new JObject() });
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (reply.Body is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(reply.Body.ToString(Formatting.None));
        }
    }
}
