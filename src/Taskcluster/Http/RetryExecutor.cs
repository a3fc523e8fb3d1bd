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
    public async Task<T> ExecuteAsync<T>(
        HttpClient http,
        Func<CancellationToken, Task<HttpRequestMessage>> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<T>> handle,
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
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                if ((int)response.StatusCode >= 500)
                {
                    var error = await TaskclusterClient.ErrorAsync(response, linked.Token).ConfigureAwait(false);
                    if (last)
                    {
                        throw error;
                    }

                    LogRetry(options.Logger, attempt + 1, error.Message);
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
            }
            // A reset can surface as a bare SocketException when it races the request's send.
            catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
            {
                if (last)
                {
                    throw new TaskclusterException($"Network error after {attempt + 1} attempts: {e.Message}", (e as HttpRequestException)?.StatusCode, "NetworkError", null, e);
                }

                LogRetry(options.Logger, attempt + 1, e.Message);
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
}
