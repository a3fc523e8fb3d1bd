using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Http;

/// <summary>
/// Matches <c>/api/&lt;service&gt;/v1/...</c> against the raw request target (so <c>%2F</c> stays a
/// parameter character), authenticates with Hawk, checks scopes, runs the handler and writes the
/// reply or the error body <c>{code, message, requestInfo}</c>. Never answers 500 for bad input.
/// The caller is authenticated, and the route's own scopes checked, from the headers alone: a body
/// is read only for a caller who may send it, at most 10 MB, paced (see <see cref="PacedBodyReader"/>),
/// and then compared with the header's payload hash.
/// </summary>
internal sealed partial class ApiDispatcher
{
    private const int MaxBodyBytes = 10 * 1024 * 1024;
    private readonly Dictionary<string, IReadOnlyList<Route>> services;
    private readonly HawkVerifier verifier;
    private readonly LocalQueueOptions options;
    private readonly ILogger logger;

    public ApiDispatcher(Dictionary<string, IReadOnlyList<Route>> services, HawkVerifier verifier, LocalQueueOptions options, ILogger logger)
    {
        this.services = services;
        this.verifier = verifier;
        this.options = options;
        this.logger = logger;
    }

    /// <summary>True when the path belongs to one of the services; the caller then awaits <see cref="HandleAsync"/>.</summary>
    public static bool IsApiPath(PathString path) => path.StartsWithSegments("/api", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context)
    {
        var now = options.TimeProvider.GetUtcNow();
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.ToString();
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        ApiRequest? request = null;
        try
        {
            var (route, parameters) = Find(context.Request.Method, rawPath);
            request = new ApiRequest(context, route, parameters, now);
            if (route.Scopes is not null)
            {
                var caller = await AuthenticateAsync(context, rawTarget).ConfigureAwait(false);
                request.Scopes = caller.Scopes;
                if (!route.HandlerAuthorizes)
                {
                    request.Authorize();
                }
                else if (caller.Anonymous && HasBody(context))
                {
                    request.RefuseAnonymousBody();
                }

                request.Body = HasBody(context) ? await ReadBodyAsync(context).ConfigureAwait(false) : [];
                if (!caller.Verification.PayloadMatches(context.Request.ContentType, request.Body))
                {
                    throw QueueError.Auth("Bad payload hash");
                }
            }

            var reply = await route.Handler(request).ConfigureAwait(false);
            await WriteAsync(context.Response, reply).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away (for example during a claimWork long poll)
        }
        catch (QueueError e)
        {
            await WriteErrorAsync(context, (int)e.Status, e.Code, e.Message, request, now).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // the framing of the body was bad (for example a broken chunked encoding)
            await WriteErrorAsync(context, e.StatusCode, "InputError", e.Message, request, now).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogInternalError(logger, context.Request.Method, rawPath, e);
            await WriteErrorAsync(context, 500, "InternalServerError", "Internal Server Error: " + e.Message, request, now).ConfigureAwait(false);
        }
    }

    private (Route Route, Dictionary<string, string> Parameters) Find(string method, string rawPath)
    {
        foreach (var (prefix, routes) in services)
        {
            if (!rawPath.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var segments = rawPath[prefix.Length..].Split('/');
            var pathMatched = false;
            foreach (var route in routes)
            {
                if (route.Match(segments) is { } parameters)
                {
                    pathMatched = true;
                    if (string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase)
                        || (method == "HEAD" && route.Method == "GET"))
                    {
                        return (route, parameters);
                    }
                }
            }

            throw QueueError.NotFound(pathMatched ? $"Method {method} is not allowed on {rawPath}" : $"No such API endpoint: {method} {rawPath}");
        }

        throw QueueError.NotFound($"No such service: {rawPath}");
    }

    /// <summary>False when the request has no body (no Content-Length above 0 and not chunked).</summary>
    private static bool HasBody(HttpContext context) => context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false;

    private async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw QueueError.TooLarge($"The request body is larger than {MaxBodyBytes} bytes");
        }

        using var body = new PacedBodyReader(context, options.MinRequestBodyDataRate, options.MinRequestBodyDataRateWindow, options.RequestBodyTimeout, options.TimeProvider);
        using var buffer = new MemoryStream();
        while (true)
        {
            var result = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (buffer.Length + result.Buffer.Length > MaxBodyBytes)
            {
                throw QueueError.TooLarge($"The request body is larger than {MaxBodyBytes} bytes");
            }

            foreach (var segment in result.Buffer)
            {
                buffer.Write(segment.Span);
            }

            body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return buffer.ToArray();
            }
        }
    }

    /// <summary>Verifies the Authorization header (not yet the body: its payload hash is compared once the body is read).</summary>
    private async Task<Caller> AuthenticateAsync(HttpContext context, string rawTarget)
    {
        var request = context.Request;
        var hawk = new HawkRequest
        {
            Method = request.Method,
            Resource = rawTarget,
            Host = request.Host.Host,
            Port = FromTrustedProxy(context)
                ? HawkRequest.ResolvePort(request.Host.Port ?? context.Connection.LocalPort, request.Headers["X-Forwarded-Port"], request.Headers["X-Forwarded-Proto"])
                : request.Host.Port ?? context.Connection.LocalPort,
            Authorization = request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null,
            ContentType = request.ContentType,
            DeferPayloadHash = true,
        };
        var result = await verifier.VerifyAsync(hawk, context.RequestAborted).ConfigureAwait(false);
        return result.Status switch
        {
            HawkVerificationStatus.Authenticated => new Caller(result, [.. result.Scopes, .. options.AnonymousScopes], Anonymous: false),
            HawkVerificationStatus.NoAuthentication when options.AllowAnonymous => new Caller(result, ["*"], Anonymous: false),
            HawkVerificationStatus.NoAuthentication => new Caller(result, [.. result.Scopes, .. options.AnonymousScopes], Anonymous: true),
            _ => throw QueueError.Auth(result.Message ?? "Authentication failed"),
        };
    }

    /// <summary>True when the peer is one of <see cref="LocalQueueOptions.TrustedProxies"/>: only then are its forwarding headers believed.</summary>
    private bool FromTrustedProxy(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null || options.TrustedProxies.Count == 0)
        {
            return false;
        }

        peer = peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer;
        return options.TrustedProxies.Any(proxy => (proxy.IsIPv4MappedToIPv6 ? proxy.MapToIPv4() : proxy).Equals(peer));
    }

    private static async Task WriteAsync(HttpResponse response, ApiReply reply)
    {
        response.StatusCode = reply.Status;
        if (reply.Location is not null)
        {
            response.Headers.Location = reply.Location;
        }

        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        if (reply.Body is not null)
        {
            response.ContentType = "application/json; charset=utf-8";
            var bytes = Encoding.UTF8.GetBytes(QueueJson.Compact(reply.Body));
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, response.HttpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message, ApiRequest? request, DateTimeOffset now)
    {
        var info = request?.RequestInfo() ?? new JObject
        {
            ["method"] = "unknown",
            ["params"] = new JObject(),
            ["payload"] = new JObject(),
            ["time"] = QueueJson.Date(now),
        };
        return WriteAsync(context.Response, new ApiReply(status, new JObject { ["code"] = code, ["message"] = message, ["requestInfo"] = info }));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Internal error answering {Method} {Path}")]
    private static partial void LogInternalError(ILogger logger, string method, string path, Exception exception);

    /// <summary>An authenticated (or anonymous) caller: its scopes, and whether it is anonymous without <see cref="LocalQueueOptions.AllowAnonymous"/>.</summary>
    private sealed record Caller(HawkVerificationResult Verification, IReadOnlyList<string> Scopes, bool Anonymous);
}
