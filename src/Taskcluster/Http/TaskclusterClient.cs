using System.Net.Http.Headers;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.Taskcluster;

/// <summary>
/// The Taskcluster client: signs requests with Hawk, retries 5xx and network errors with
/// exponential backoff and jitter, and maps error bodies to <see cref="TaskclusterException"/>.
/// Immutable and thread-safe; <see cref="WithCredentials"/> makes a sibling that shares the
/// HTTP connection pool, so a worker can hold one client per claim.
/// </summary>
/// <remarks>
/// Without an <see cref="HttpClient"/> the client creates one (redirects not followed) and
/// disposes it when the client made by the constructor is disposed; siblings from
/// <see cref="WithCredentials"/> never dispose it. A caller-supplied <see cref="HttpClient"/>
/// is never disposed here, and should not follow redirects, or getArtifact cannot return the URL.
/// </remarks>
public sealed class TaskclusterClient : IDisposable
{
    private const string JsonContentType = "application/json";
    private readonly HttpClient http;
    private readonly bool ownsHttp;
    private readonly RetryExecutor retry;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Root URL, credentials, timeouts and retries.</param>
    /// <param name="httpClient">The HTTP client to send with, or null to create one.</param>
    /// <exception cref="ArgumentException">The root URL is not an absolute http(s) URL.</exception>
    public TaskclusterClient(TaskclusterClientOptions options, HttpClient? httpClient = null)
        : this(options, httpClient ?? CreateHttpClient(), httpClient is null)
    {
    }

    private TaskclusterClient(TaskclusterClientOptions options, HttpClient http, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.RootUrl, UriKind.Absolute, out var root) || (root.Scheme != Uri.UriSchemeHttp && root.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The root URL must be an absolute http or https URL, not '{options.RootUrl}'.", nameof(options));
        }

        Options = options;
        this.http = http;
        this.ownsHttp = ownsHttp;
        retry = new RetryExecutor(options);
        Queue = new QueueClient(this);
        Object = new ObjectClient(this);
        WorkerManager = new WorkerManagerClient(this);
        Index = new IndexClient(this);
        PurgeCache = new PurgeCacheClient(this);
    }

    /// <summary>The options.</summary>
    public TaskclusterClientOptions Options { get; }

    /// <summary>The credentials requests are signed with, or null.</summary>
    public TaskclusterCredentials? Credentials => Options.Credentials;

    /// <summary>The queue service.</summary>
    public QueueClient Queue { get; }

    /// <summary>The object service.</summary>
    public ObjectClient Object { get; }

    /// <summary>The worker-manager service.</summary>
    public WorkerManagerClient WorkerManager { get; }

    /// <summary>The index service.</summary>
    public IndexClient Index { get; }

    /// <summary>The purge-cache service: requests to purge named caches on a worker pool's workers.</summary>
    public PurgeCacheClient PurgeCache { get; }

    internal HttpClient Http => http;

    internal RetryExecutor Retry => retry;

    /// <summary>A sibling client with other credentials (null: anonymous), sharing this one's HTTP client.</summary>
    public TaskclusterClient WithCredentials(TaskclusterCredentials? credentials) =>
        new(Options with { Credentials = credentials }, http, ownsHttp: false);

    /// <summary><c>&lt;rootUrl&gt;/api/&lt;service&gt;/v1&lt;path&gt;</c>; escape route parameters with <see cref="TaskclusterUrl.Escape"/>.</summary>
    public Uri BuildUrl(string service, string path) => TaskclusterUrl.Api(Options.RootUrl, service, path);

    /// <summary>A GET URL signed with a bewit valid for <paramref name="lifetime"/>; unsigned without credentials.</summary>
    public Uri BuildSignedUrl(string service, string path, TimeSpan lifetime)
    {
        var url = BuildUrl(service, path);
        return Credentials is null ? url : HawkSigner.CreateBewitUri(Credentials, url, Options.TimeProvider.GetUtcNow() + lifetime);
    }

    /// <summary>
    /// Calls any endpoint: sends <paramref name="body"/> as JSON (none when null), signed when the
    /// client has credentials, with retries, and parses the JSON response as <typeparamref name="TResponse"/>
    /// (use <see cref="JObject"/> for untyped results).
    /// </summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="service">The service, e.g. <c>queue</c>.</param>
    /// <param name="path">The escaped path below <c>/v1</c>, starting with <c>/</c>.</param>
    /// <param name="body">The request body, or null.</param>
    /// <param name="cancellationToken">Cancels the call, including backoff waits.</param>
    /// <exception cref="TaskclusterException">An error response, network errors after the last retry, or a body that is not the expected JSON (<c>InvalidResponse</c>).</exception>
    public Task<TResponse> CallAsync<TResponse>(HttpMethod method, string service, string path, object? body, CancellationToken cancellationToken = default) =>
        CallJsonAsync<TResponse>(method, service, path, body, signed: true, cancellationToken);

    /// <summary>Like <see cref="CallAsync{TResponse}"/> for endpoints that return no body (or one that is not needed).</summary>
    /// <exception cref="TaskclusterException">An error response, or network errors after the last retry.</exception>
    public Task CallAsync(HttpMethod method, string service, string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync(method, service, path, body, signed: true, async (response, token) =>
        {
            await EnsureSuccessAsync(response, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Disposes the HTTP client when this instance created it.</summary>
    public void Dispose()
    {
        if (ownsHttp)
        {
            http.Dispose();
        }
    }

    internal Task<T> CallJsonAsync<T>(HttpMethod method, string service, string path, object? body, bool signed, CancellationToken cancellationToken) =>
        SendAsync(method, service, path, body, signed, async (response, token) =>
        {
            await EnsureSuccessAsync(response, token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            try
            {
                return TaskclusterJson.Deserialize<T>(text);
            }
            catch (Newtonsoft.Json.JsonException e)
            {
                throw new TaskclusterException($"{method.Method} {service} {path} returned {(int)response.StatusCode} with a body that is not the expected JSON: {e.Message}", response.StatusCode, "InvalidResponse", null, e);
            }
        }, cancellationToken);

    internal Task<T> SendAsync<T>(HttpMethod method, string service, string path, object? body, bool signed, Func<HttpResponseMessage, CancellationToken, Task<T>> handle, CancellationToken cancellationToken)
    {
        var url = BuildUrl(service, path);
        var content = body is null ? null : TaskclusterJson.SerializeToUtf8(body);
        return retry.ExecuteAsync(
            http,
            _ =>
            {
                var request = new HttpRequestMessage(method, url);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (content is not null)
                {
                    request.Content = new ByteArrayContent(content);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonContentType, "utf-8");
                }

                if (signed && Credentials is not null)
                {
                    var hash = Options.SignPayloads ? HawkCrypto.PayloadHash(content is null ? null : JsonContentType, content) : null;
                    request.Headers.TryAddWithoutValidation("Authorization", HawkSigner.CreateAuthorizationHeader(Credentials, method.Method, url, Options.TimeProvider.GetUtcNow(), hash));
                }

                return Task.FromResult(request);
            },
            handle,
            cancellationToken,
            service,
            TaskclusterTelemetry.Operation(path));
    }

    /// <summary>Throws <see cref="TaskclusterException"/> for any status outside 2xx, with the error body's code and message.</summary>
    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<TaskclusterException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var error = TaskclusterJson.TryParseObject(text);
        var code = error?["code"]?.Type == JTokenType.String ? (string)error["code"]! : "HttpError";
        var message = error?["message"]?.Type == JTokenType.String ? (string)error["message"]! : Truncate(text);
        var method = response.RequestMessage?.Method.Method;
        var target = response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Path);
        return new TaskclusterException(
            $"{method} {target} failed with {(int)response.StatusCode} {code}: {message}",
            response.StatusCode,
            code,
            error?["requestInfo"] as JObject);
    }

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..1000] + "...";

    private static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
}
