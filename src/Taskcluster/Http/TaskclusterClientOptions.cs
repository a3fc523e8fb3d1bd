using Microsoft.Extensions.Logging;

namespace TcWorker.Taskcluster;

/// <summary>Settings of a <see cref="TaskclusterClient"/>. Immutable once the client is built.</summary>
public sealed record TaskclusterClientOptions
{
    /// <summary>The deployment's root URL, e.g. <c>https://tc.example.com</c>.</summary>
    public required string RootUrl { get; init; }

    /// <summary>Credentials to sign with; null sends unsigned (anonymous) requests.</summary>
    public TaskclusterCredentials? Credentials { get; init; }

    /// <summary>Timeout of one attempt, response body included. Default 60 s, above claimWork's 20 s long poll.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for 5xx responses and network errors (never 4xx). Default 5, as the official clients.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Base of the exponential backoff: retry n waits about 2^(n-1) times this. Default 100 ms.</summary>
    public TimeSpan RetryDelayFactor { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Jitter: each delay is multiplied by a random factor in [1 - r, 1 + r]. Default 0.25.</summary>
    public double RandomizationFactor { get; init; } = 0.25;

    /// <summary>Upper bound of one backoff delay. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Also sign the request body with a Hawk payload hash. Off by default, like the official
    /// clients; a server that gets a hash checks it.
    /// </summary>
    public bool SignPayloads { get; init; }

    /// <summary>The clock for signatures, timeouts and backoff. Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives retry warnings; null logs nothing.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Options from <c>TASKCLUSTER_ROOT_URL</c> and the credential variables
    /// (see <see cref="TaskclusterCredentials.FromEnvironment"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>TASKCLUSTER_ROOT_URL</c> is not set.</exception>
    public static TaskclusterClientOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var rootUrl = getVariable("TASKCLUSTER_ROOT_URL");
        if (string.IsNullOrEmpty(rootUrl))
        {
            throw new InvalidOperationException("TASKCLUSTER_ROOT_URL is not set.");
        }

        return new TaskclusterClientOptions { RootUrl = rootUrl, Credentials = TaskclusterCredentials.FromEnvironment(getVariable) };
    }
}
