using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Newtonsoft.Json;
using TcWorker.Tasks;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.Plugins.TaskclusterProxy;

/// <summary>
/// Serves one task's proxy: maps each request onto the deployment (<see cref="ProxyRoutes"/>), signs it
/// with the run's current credentials restricted to the task's scopes, and hands the response back as it
/// came. Thread-safe: the engine calls it for concurrent requests.
/// </summary>
internal sealed class ProxyHandler
{
    /// <summary>How long a URL signed by <c>/bewit</c> stays valid, as in the official proxy.</summary>
    internal static readonly TimeSpan BewitLifetime = TimeSpan.FromHours(1);

    private const int Attempts = 5;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    // Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Expect", "Content-Length",
    };

    private static readonly HashSet<string> NotReturned = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    private readonly ITaskContext task;
    private readonly HttpMessageInvoker http;
    private readonly TimeProvider time;
    private readonly string[] authorizedScopes;
    private readonly string authorizedScopesJson;
    private Signing? signing;
    private volatile bool stopped;

    public ProxyHandler(ITaskContext task, HttpMessageInvoker http, TimeProvider time)
    {
        this.task = task;
        this.http = http;
        this.time = time;
        // The task's scopes, and the one to create artifacts of this run, which task.scopes cannot hold.
        authorizedScopes = [.. task.Scopes, $"queue:create-artifact:{task.TaskId}/{task.RunId.ToString(CultureInfo.InvariantCulture)}"];
        authorizedScopesJson = JsonConvert.SerializeObject(authorizedScopes);
    }

    /// <summary>The scopes every request is restricted to.</summary>
    public IReadOnlyList<string> AuthorizedScopes => authorizedScopes;

    /// <summary>From now on every request answers 404: the task has ended.</summary>
    public void Stop() => stopped = true;

    /// <summary>Serves one request of the task.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (stopped)
        {
            await AnswerAsync(context, StatusCodes.Status404NotFound, "The task has ended; its taskcluster-proxy is stopped.").ConfigureAwait(false);
            return;
        }

        var (path, query) = RawPathAndQuery(context);
        if (path.StartsWith("/bewit", StringComparison.Ordinal))
        {
            await BewitAsync(context).ConfigureAwait(false);
            return;
        }

        if (path.StartsWith("/credentials", StringComparison.Ordinal))
        {
            // The official proxy takes new credentials here from its worker; this one reads them from the run.
            await AnswerAsync(context, StatusCodes.Status404NotFound, "This proxy follows the run's credentials itself; /credentials is not served.").ConfigureAwait(false);
            return;
        }

        if (!ProxyRoutes.TryMap(task.RootUrl, path, query, out var target, out var problem))
        {
            await AnswerAsync(context, StatusCodes.Status404NotFound, problem!).ConfigureAwait(false);
            return;
        }

        await ForwardAsync(context, target!).ConfigureAwait(false);
    }

    /// <summary>
    /// The path and query exactly as the task sent them (still escaped, so <c>%2F</c> in an artifact name
    /// stays one segment), below the prefix the engine served the proxy at.
    /// </summary>
    private static (string Path, string Query) RawPathAndQuery(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var prefix = context.Request.PathBase.ToUriComponent();
        if (string.IsNullOrEmpty(raw) || !raw.StartsWith('/') || !raw.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (context.Request.Path.ToUriComponent(), context.Request.QueryString.ToUriComponent());
        }

        raw = raw[prefix.Length..];
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? raw : raw[..q];
        return (path.Length == 0 ? "/" : path, q < 0 ? string.Empty : raw[q..]);
    }

    private async Task BewitAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = (await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false)).Trim();
        Uri url;
        try
        {
            url = TaskclusterUrl.Create(text);
        }
        catch (UriFormatException)
        {
            await AnswerAsync(context, StatusCodes.Status400BadRequest, "POST the absolute URL to sign as the body of /bewit.").ConfigureAwait(false);
            return;
        }

        var signed = HawkSigner.CreateBewitUri(Credentials(), url, time.GetUtcNow() + BewitLifetime).AbsoluteUri;
        SetProxyHeaders(context.Response);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = signed;
        await context.Response.WriteAsync(signed, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext context, Uri target)
    {
        var request = context.Request;
        // Read whole, as the official proxy does, so that a failed attempt can be sent again.
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }

        HttpResponseMessage? response = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                using var message = BuildRequest(request, target, body);
                try
                {
                    response = await http.SendAsync(message, context.RequestAborted).ConfigureAwait(false);
                    if ((int)response.StatusCode < 500 || attempt == Attempts)
                    {
                        break;
                    }

                    response.Dispose();
                    response = null;
                }
                catch (HttpRequestException) when (attempt < Attempts)
                {
                }
                catch (HttpRequestException e)
                {
                    await AnswerAsync(context, StatusCodes.Status502BadGateway, $"Failed during proxy request to {target.GetLeftPart(UriPartial.Path)}: {e.Message}").ConfigureAwait(false);
                    return;
                }

                await Task.Delay(FirstRetryDelay * (1 << (attempt - 1)), time, context.RequestAborted).ConfigureAwait(false);
            }

            var answer = context.Response;
            answer.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!NotReturned.Contains(name))
                {
                    answer.Headers[name] = values.ToArray();
                }
            }

            SetProxyHeaders(answer);
            answer.Headers["X-Taskcluster-Endpoint"] = target.AbsoluteUri;
            await response.Content.CopyToAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            response?.Dispose();
        }
    }

    private HttpRequestMessage BuildRequest(HttpRequest request, Uri target, byte[] body)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
        if (body.Length > 0 || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsDelete(request.Method)))
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (NotForwarded.Contains(name))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        // As the official proxy: a body without a type is JSON, which is what every Taskcluster API takes.
        if (message.Content is { } content && body.Length > 0 && content.Headers.ContentType is null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        message.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(Credentials(), message.Method.Method, target, time.GetUtcNow()));
        return message;
    }

    /// <summary>The run's current credentials, restricted: rebuilt only when a reclaim has replaced them.</summary>
    private TaskclusterCredentials Credentials() => CurrentSigning().Credentials;

    private Signing CurrentSigning()
    {
        var current = task.Credentials;
        var cached = Volatile.Read(ref signing);
        if (cached is null || !ReferenceEquals(cached.Source, current))
        {
            var credentials = new TaskclusterCredentials(current.ClientId, current.AccessToken, current.Certificate, authorizedScopes);
            var scopes = credentials.Certificate is null ? null : JsonConvert.SerializeObject(TemporaryCertificate.Parse(credentials.Certificate).Scopes);
            cached = new Signing(current, credentials, scopes);
            Volatile.Write(ref signing, cached);
        }

        return cached;
    }

    /// <summary>The official proxy's headers: which client signed, with which scopes.</summary>
    private void SetProxyHeaders(HttpResponse response)
    {
        var current = CurrentSigning();
        if (current.TemporaryScopesJson is null)
        {
            response.Headers["X-Taskcluster-Proxy-Perm-ClientId"] = current.Credentials.ClientId;
        }
        else
        {
            response.Headers["X-Taskcluster-Proxy-Temp-ClientId"] = current.Credentials.ClientId;
            response.Headers["X-Taskcluster-Proxy-Temp-Scopes"] = current.TemporaryScopesJson;
        }

        response.Headers["X-Taskcluster-Authorized-Scopes"] = authorizedScopesJson;
    }

    private static async Task AnswerAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record Signing(TaskCredentials Source, TaskclusterCredentials Credentials, string? TemporaryScopesJson);
}
