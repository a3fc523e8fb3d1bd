using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Webhooks;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;
using TcWorker.Workers;

namespace TcWorker.Cli.Doctor;

/// <summary>
/// Checks what a worker needs from the host it is to run on, with its config: the engines' health,
/// free disk space, the clock against the queue's, the credentials and their scopes, and the webhook
/// server's advertised URL. Each check gives one line; nothing is claimed.
/// </summary>
internal sealed class WorkerDoctor(WorkerConfig config, ComponentRegistry registry, ILoggerFactory? loggerFactory = null)
{
    /// <summary>How far the clock may be off before Hawk signatures are refused (Taskcluster allows a few minutes; warn well before).</summary>
    private static readonly TimeSpan SkewWarning = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SkewFailure = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;

    public async Task<IReadOnlyList<DoctorCheck>> RunAsync(CancellationToken cancellationToken = default)
    {
        var problems = WorkerHost.Problems(config, registry);
        if (problems.Count > 0)
        {
            return [DoctorCheck.Fail("config", new ConfigException(config.Source, problems).Message, "fix the listed problems (tc-worker config check --config FILE lists them too)")];
        }

        var options = WorkerOptions.FromConfig(config);
        var rootUrl = config.Document.Value<string>("rootUrl")!;
        var credentials = config.Document["credentials"]!;
        var certificate = credentials["certificate"] is JObject parsed ? parsed.ToString(Newtonsoft.Json.Formatting.None) : credentials.Value<string>("certificate");
        using var client = new TaskclusterClient(new TaskclusterClientOptions
        {
            RootUrl = rootUrl,
            Credentials = new TaskclusterCredentials(credentials.Value<string>("clientId")!, credentials.Value<string>("accessToken")!, certificate),
        });
        var checks = new List<DoctorCheck> { DoctorCheck.Ok("config", $"{config.Source} is valid") };
        checks.AddRange(await EnginesAsync(options, rootUrl, cancellationToken).ConfigureAwait(false));
        checks.Add(Disk(options));
        checks.Add(await ClockAsync(rootUrl, cancellationToken).ConfigureAwait(false));
        checks.Add(await CredentialsAsync(client, options.Identity, cancellationToken).ConfigureAwait(false));
        checks.Add(await WebhooksAsync(cancellationToken).ConfigureAwait(false));
        return checks;
    }

    private string TemporaryFolder(WorkerOptions options) =>
        config.Document.Value<string>("temporaryFolder") ?? Path.Combine(Path.GetTempPath(), "tc-worker-" + options.Identity.WorkerId);

    /// <summary>Each engine is created, started and asked for its health, in a throwaway temporary folder, then disposed.</summary>
    private async Task<IReadOnlyList<DoctorCheck>> EnginesAsync(WorkerOptions options, string rootUrl, CancellationToken cancellationToken)
    {
        var results = new List<DoctorCheck>();
        var scratch = Directory.CreateTempSubdirectory("tc-worker-doctor-").FullName;
        using var lifetime = new WorkerLifetime();
        try
        {
            using var storage = TemporaryStorage.Open(scratch);
            var webhooks = new LazyWebhookServer(new WebhookServerOptions { Mode = "localhost" }, loggers);
            await using var disposeWebhooks = webhooks.ConfigureAwait(false);
            var collector = new GarbageCollector(() => GarbageCollector.FreeBytes(scratch), 0);
            var environment = new WorkerEnvironment(options.Identity, rootUrl, storage, webhooks, collector, loggers, lifetime, TimeProvider.System);
            foreach (var name in config.Engines)
            {
                results.Add(await EngineAsync(name, environment, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A left-over scratch folder under the temporary folder is no reason to fail the checks.
            }
        }

        return results;
    }

    private async Task<DoctorCheck> EngineAsync(string name, IWorkerEnvironment environment, CancellationToken cancellationToken)
    {
        var check = $"engine {name}";
        registry.TryGetEngine(name, out var provider, out _);
        TcWorker.Engines.IEngine engine;
        try
        {
            engine = provider!.Create(new TcWorker.Engines.EngineOptions { Config = config.EngineConfig(name), Environment = environment, Logger = loggers.CreateLogger($"TcWorker.Engines.{name}") });
        }
        catch (Exception e)
        {
            return DoctorCheck.Fail(check, $"cannot be created: {e.Message}", $"fix engines.{name} in the config");
        }

        await using (engine.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                await engine.StartAsync(timeout.Token).ConfigureAwait(false);
                var health = await engine.CheckHealthAsync(timeout.Token).ConfigureAwait(false);
                return health.IsHealthy
                    ? DoctorCheck.Ok(check, "started and healthy")
                    : DoctorCheck.Fail(check, $"unhealthy: {health.Reason}", $"bring up what the engine '{name}' depends on (for docker: is the daemon running and its socket reachable?)");
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return DoctorCheck.Fail(check, $"did not start within {ProbeTimeout.TotalSeconds} s", $"check what the engine '{name}' depends on");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return DoctorCheck.Fail(check, $"did not start: {e.Message}", $"bring up what the engine '{name}' depends on, or fix engines.{name} in the config");
            }
        }
    }

    private DoctorCheck Disk(WorkerOptions options)
    {
        var folder = TemporaryFolder(options);
        var existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        var free = GarbageCollector.FreeBytes(existing);
        var finding = $"{Gib(free)} free for {folder}, minimum {Gib(options.MinimumDiskSpace)} (worker.minimumDiskSpace)";
        return free >= options.MinimumDiskSpace
            ? DoctorCheck.Ok("disk", finding)
            : DoctorCheck.Fail("disk", finding, "free space on that drive, move temporaryFolder to a larger one, or lower worker.minimumDiskSpace; below the minimum the worker claims nothing");
    }

    private static string Gib(long bytes) => $"{bytes / (double)(1L << 30):0.##} GiB";

    /// <summary>The clock against the queue's Date header, allowing for half the round trip.</summary>
    private static async Task<DoctorCheck> ClockAsync(string rootUrl, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = ProbeTimeout };
        try
        {
            var sent = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(TaskclusterUrl.Api(rootUrl, "queue", "/ping"), cancellationToken).ConfigureAwait(false);
            var roundTrip = Stopwatch.GetElapsedTime(started);
            if (response.Headers.Date is not { } date)
            {
                return DoctorCheck.Warn("clock", "the queue's answer has no Date header to compare with", "check that rootUrl names a Taskcluster deployment");
            }

            // Date has whole seconds: a skew under a second is noise.
            var skew = sent + (roundTrip / 2) - date;
            var finding = $"{skew.TotalSeconds:+0.0;-0.0;0} s against the queue";
            var magnitude = skew.Duration();
            return magnitude > SkewFailure ? DoctorCheck.Fail("clock", finding, "synchronise the clock (NTP: systemd-timesyncd, chrony); requests signed with a skewed clock are refused")
                : magnitude > SkewWarning ? DoctorCheck.Warn("clock", finding, "synchronise the clock (NTP) before the skew grows past what signatures allow")
                : DoctorCheck.Ok("clock", finding);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Fail("clock", $"the queue at {rootUrl} does not answer: {e.Message}", "check rootUrl and the network path to the deployment");
        }
    }

    /// <summary>auth.currentScopes with the worker's credentials, against the scopes claimWork asks for.</summary>
    private static async Task<DoctorCheck> CredentialsAsync(TaskclusterClient client, WorkerIdentity identity, CancellationToken cancellationToken)
    {
        JObject answer;
        try
        {
            answer = await client.CallAsync<JObject>(HttpMethod.Get, "auth", "/scopes/current", null, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskclusterException e) when (e.StatusCode == HttpStatusCode.Unauthorized)
        {
            return DoctorCheck.Fail("credentials", $"refused for client {client.Credentials!.ClientId}: {FirstLine(e.Message)}", "check credentials.clientId and credentials.accessToken (and certificate for temporary credentials, which expire)");
        }
        catch (TaskclusterException e)
        {
            return DoctorCheck.Fail("credentials", $"auth.currentScopes failed: {FirstLine(e.Message)}", "check rootUrl and the network path to the deployment");
        }

        var scopes = answer["scopes"]?.Values<string>().OfType<string>().ToList() ?? [];
        string[] required = [$"queue:claim-work:{identity.WorkerPoolId}", $"queue:worker-id:{identity.WorkerGroup}/{identity.WorkerId}"];
        var missing = ScopeSatisfaction.Missing(scopes, required);
        return missing.Count == 0
            ? DoctorCheck.Ok("credentials", $"client {client.Credentials!.ClientId} is valid and may claim from {identity.WorkerPoolId} as {identity.WorkerGroup}/{identity.WorkerId}")
            : DoctorCheck.Fail("credentials", $"client {client.Credentials!.ClientId} is valid but lacks {string.Join(", ", missing)}", "grant the client (or its role) the missing scopes, e.g. through the worker pool's role");
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>
    /// Public mode: serves a hook on the configured listen address and fetches it through the advertised
    /// URL. When the address is taken (a worker runs here already), any HTTP answer of the advertised URL counts.
    /// </summary>
    private async Task<DoctorCheck> WebhooksAsync(CancellationToken cancellationToken)
    {
        var options = WorkerHost.WebhookOptions(config);
        if (options.Mode != "public")
        {
            return DoctorCheck.Ok("webhook server", "localhost mode: live logs and other hooks are served on loopback, for readers on this host only");
        }

        using var http = new HttpClient { Timeout = ProbeTimeout };
        WebhookServer server;
        try
        {
            server = await WebhookServer.StartAsync(options, loggers, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return await ProbeAsync(http, new Uri(options.AdvertisedBaseUrl!), expected: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            return DoctorCheck.Fail("webhook server", $"cannot start: {e.Message}", "fix webhookServer.listen and webhookServer.certificate");
        }

        await using (server.ConfigureAwait(false))
        {
            var token = Guid.NewGuid().ToString("N");
            var registration = await server.AttachAsync(context => context.Response.WriteAsync(token), cancellationToken).ConfigureAwait(false);
            await using (registration.ConfigureAwait(false))
            {
                return await ProbeAsync(http, registration.Url, token, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<DoctorCheck> ProbeAsync(HttpClient http, Uri url, string? expected, CancellationToken cancellationToken)
    {
        var shown = expected is null ? url.ToString() : url.GetLeftPart(UriPartial.Authority);
        try
        {
            var body = await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
            return expected is null || body == expected
                ? DoctorCheck.Ok("webhook server", $"the advertised URL {shown} is reachable from this host")
                : DoctorCheck.Fail("webhook server", $"the advertised URL {shown} answers, but not from this worker's server", "make webhookServer.advertisedBaseUrl lead to webhookServer.listen (DNS, port forwarding, proxy)");
        }
        catch (HttpRequestException e) when (expected is null && e.StatusCode is not null)
        {
            return DoctorCheck.Ok("webhook server", $"the advertised URL {shown} answers (HTTP {(int)e.StatusCode}); its address is in use, by a running worker perhaps");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return DoctorCheck.Fail("webhook server", $"the advertised URL {shown} is not reachable from this host: {e.Message}", "make webhookServer.advertisedBaseUrl lead to webhookServer.listen (DNS, firewall, port forwarding), or use localhost mode");
        }
    }
}
