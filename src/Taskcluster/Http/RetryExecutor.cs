using Microsoft.Extensions.Logging;

namespace TcWorker.Taskcluster;

/// <summary>
/// Runs an HTTP exchange with the official clients' retry policy: 5xx responses, network errors
/// and attempt timeouts are retried with exponential backoff and jitter; anything else is
/// handed to the caller's handler. Each attempt builds a fresh request (new Hawk nonce, reopened
/// content); exceptions from building it propagate unretried.
/// </summary>
internal sealed partial class RetryExecutor(TaskclusterClientOptions options)
{
    /// <summary>Runs the exchange as one traced, timed call named by its service and operation (see <see cref="TaskclusterTelemetry"/>).</summary>
    public async Task<T> ExecuteAsync<T>(
        HttpClient http,
        Func<CancellationToken, Task<HttpRequestMessage>> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<T>> handle,
        CancellationToken cancellationToken,
        string service = "http",
        string operation = "request")
    {
        var call = new CallTrace(service, operation);
        try
        {
            var result = await AttemptAsync(http, createRequest, handle, call, cancellationToken).ConfigureAwait(false);
            call.End(null);
            return result;
        }
        catch (Exception e)
        {
            call.End(e);
            throw;
        }
    }

    private async Task<T> AttemptAsync<T>(
        HttpClient http,
        Func<CancellationToken, Task<HttpRequestMessage>> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<T>> handle,
        CallTrace call,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(Backoff(attempt), options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(options.Timeout, options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var last = attempt >= options.MaxRetries;
            // Outside the try: a failure to build the request (say, the content cannot be opened)
            // is not a network error and is not retried.
            using var request = await createRequest(linked.Token).ConfigureAwait(false);
            call.Started(request);
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                call.Status = (int)response.StatusCode;
                if ((int)response.StatusCode >= 500)
                {
                    var error = await TaskclusterClient.ErrorAsync(response, linked.Token).ConfigureAwait(false);
                    if (last)
                    {
                        throw error;
                    }

                    LogRetry(options.Logger, attempt + 1, error.Message);
                    call.Retried("server-error");
                    continue;
                }

                return await handle(response, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
            {
                if (last)
                {
                    throw new TaskclusterException($"No response within {options.Timeout.TotalSeconds:0.###} s after {attempt + 1} attempts.", null, "RequestTimeout", null, e);
                }

                LogRetry(options.Logger, attempt + 1, "timeout");
                call.Retried("timeout");
            }
            // A reset can surface as a bare SocketException when it races the request's send.
            catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
            {
                if (last)
                {
                    throw new TaskclusterException($"Network error after {attempt + 1} attempts: {e.Message}", (e as HttpRequestException)?.StatusCode, "NetworkError", null, e);
                }

                LogRetry(options.Logger, attempt + 1, e.Message);
                call.Retried("network-error");
            }
        }
    }

    /// <summary>The delay before retry <paramref name="retry"/> (1-based): 2^(retry-1) × factor × jitter, capped.</summary>
    internal TimeSpan Backoff(int retry)
    {
        var delay = Math.Pow(2, retry - 1) * options.RetryDelayFactor.TotalMilliseconds;
        var r = options.RandomizationFactor;
        delay *= (Random.Shared.NextDouble() * 2 * r) + 1 - r;
        return TimeSpan.FromMilliseconds(Math.Min(delay, options.MaxRetryDelay.TotalMilliseconds));
    }

    private static void LogRetry(ILogger? logger, int attempt, string reason)
    {
        if (logger is not null)
        {
            LogRetrying(logger, attempt, reason);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Taskcluster request attempt {Attempt} failed ({Reason}); retrying")]
    private static partial void LogRetrying(ILogger logger, int attempt, string reason);

    /// <summary>One call's span (started with its first attempt), its last status code and its timing.</summary>
    private sealed class CallTrace(string service, string operation)
    {
        private readonly long started = System.Diagnostics.Stopwatch.GetTimestamp();
        private System.Diagnostics.Activity? activity;
        private bool begun;

        public int? Status { get; set; }

        public void Started(HttpRequestMessage request)
        {
            if (!begun)
            {
                begun = true;
                activity = TaskclusterTelemetry.StartCall(service, operation, request.Method, request.RequestUri!);
            }
        }

        public void Retried(string reason) => TaskclusterTelemetry.Retried(service, operation, reason);

        public void End(Exception? error) => TaskclusterTelemetry.Ended(activity, service, operation, started, Status, error);
    }
}
