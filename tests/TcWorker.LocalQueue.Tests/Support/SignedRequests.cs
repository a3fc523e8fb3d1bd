using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Tests.Support;

/// <summary>Hand-made requests to a queue, signed with Hawk (or not), for bodies the typed client would never send.</summary>
internal static class SignedRequests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    /// <summary>Sends <paramref name="body"/> (raw JSON text, or null for none) to <c>rootUrl + path</c>; null credentials send no Authorization header.</summary>
    public static async Task<(HttpStatusCode Status, JObject? Body)> SendAsync(string rootUrl, TaskclusterCredentials? credentials, string method, string path, string? body = null, Action<HttpRequestMessage>? change = null)
    {
        var uri = new Uri(rootUrl + path);
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (credentials is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(credentials, method, uri, DateTimeOffset.UtcNow));
        }

        change?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.StartsWith('{') ? JObject.Parse(text) : null);
    }
}
