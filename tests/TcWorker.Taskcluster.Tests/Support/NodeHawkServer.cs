using System.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>
/// node/server.js: verifies requests with the reference Hawk implementation (npm hawk 9.0.2)
/// and Taskcluster's certificate rules, and signs requests with the reference Hawk client.
/// </summary>
internal sealed class NodeHawkServer : IAsyncDisposable
{
    private readonly Process process;

    private NodeHawkServer(Process process, string url)
    {
        this.process = process;
        Url = url;
    }

    public string Url { get; }

    /// <param name="clients">Permanent clients: id → (accessToken, scopes).</param>
    public static async Task<NodeHawkServer> StartAsync(IReadOnlyDictionary<string, (string AccessToken, string[] Scopes)> clients)
    {
        var json = new JObject(clients.Select(c => new JProperty(c.Key, new JObject { ["accessToken"] = c.Value.AccessToken, ["scopes"] = new JArray(c.Value.Scopes) })));
        var process = Node.Start("hawk", "server.js", json.ToString(Formatting.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token);
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("node server.js did not start: " + line + error);
        }

        return new NodeHawkServer(process, "http://127.0.0.1:" + line[5..]);
    }

    /// <summary>An Authorization header made by Hawk.client.header.</summary>
    public async Task<string> SignAsync(HttpClient http, string url, string method, string id, string key, string? ext, string? payload = null, string? contentType = null)
    {
        var response = await PostAsync(http, new JObject { ["url"] = url, ["method"] = method, ["id"] = id, ["key"] = key, ["ext"] = ext, ["payload"] = payload, ["contentType"] = contentType });
        return (string)response["header"]!;
    }

    /// <summary>A bewit made by Hawk.client.getBewit.</summary>
    public async Task<string> BewitAsync(HttpClient http, string url, string id, string key, string? ext, int ttlSec)
    {
        var response = await PostAsync(http, new JObject { ["url"] = url, ["method"] = "GET", ["id"] = id, ["key"] = key, ["ext"] = ext, ["bewitTtlSec"] = ttlSec });
        return (string)response["bewit"]!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task<JObject> PostAsync(HttpClient http, JObject body)
    {
        using var content = new StringContent(body.ToString(Formatting.None), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(Url + "/__sign", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JObject.Parse(text);
    }
}
