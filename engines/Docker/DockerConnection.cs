using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Docker.DotNet;
using Docker.DotNet.NativeHttp;
using Docker.DotNet.X509;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>
/// Builds Docker clients for the configured endpoint and settles the Engine API version: the pinned
/// one, or the daemon's own capped at <see cref="NewestApiVersion"/> (as the docker CLI negotiates).
/// </summary>
internal static class DockerConnection
{
    /// <summary>The newest Engine API version the client library's models describe (Docker 29).</summary>
    public static readonly Version NewestApiVersion = new(1, 52);

    /// <summary>How long a ping or a version query may take before the daemon counts as not answering.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates a client; <paramref name="apiVersion"/> null sends unversioned requests (the daemon's own version).</summary>
    public static DockerClient CreateClient(DockerSettings settings, Version? apiVersion) => CreateClient(settings, apiVersion, forFiles: false);

    /// <summary>
    /// Creates a client for reading files out of containers (the archive API). On a Unix socket it uses .NET's
    /// own HTTP stack: the library's default transport there closes a long streamed response (a file of more
    /// than about a hundred kilobytes) before its end. It cannot take over a connection (attach, exec), so the
    /// engine's main client keeps the default transport.
    /// </summary>
    public static DockerClient CreateFileClient(DockerSettings settings, Version? apiVersion) => CreateClient(settings, apiVersion, forFiles: true);

    private static DockerClient CreateClient(DockerSettings settings, Version? apiVersion, bool forFiles)
    {
        var builder = new DockerClientBuilder()
            .WithEndpoint(settings.Endpoint.Scheme == "tcp" && settings.Tls is not null ? new UriBuilder(settings.Endpoint) { Scheme = "https" }.Uri : settings.Endpoint)
            .WithApiVersion(apiVersion)
            .WithTimeout(Timeout.InfiniteTimeSpan);
        if (settings.Tls is { } tls)
        {
            builder = builder.WithAuthProvider(CreateTlsCredentials(tls));
        }

        return forFiles && settings.Endpoint.Scheme == "unix" ? builder.WithTransportOptions(new NativeHttpTransportOptions()).Build() : builder.Build();
    }

    /// <summary>
    /// Finds the API version to speak: throws <see cref="DependencyUnavailableException"/> while the daemon
    /// does not answer and <see cref="ConfigurationException"/> when it is too old for the engine.
    /// </summary>
    public static async Task<(Version Version, string DaemonVersion)> NegotiateAsync(DockerSettings settings, CancellationToken cancellationToken)
    {
        using var probe = CreateClient(settings, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        global::Docker.DotNet.Models.VersionResponse version;
        try
        {
            version = await probe.System.GetVersionAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (Find<System.Security.Authentication.AuthenticationException>(e) is { } tls)
        {
            // A handshake that fails stays failing: the certificates, not the daemon's state, are wrong.
            throw new ConfigurationException($"engines.docker.tls: the TLS handshake with the Docker daemon at {settings.Endpoint} failed: {Describe(tls)}", e);
        }
        catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new DependencyUnavailableException($"The Docker daemon at {settings.Endpoint} does not answer: {Describe(e)}", e);
        }

        if (!Version.TryParse(version.APIVersion, out var daemon))
        {
            throw new DependencyUnavailableException($"The Docker daemon at {settings.Endpoint} reported an unreadable API version '{version.APIVersion}'.");
        }

        if (settings.ApiVersion is { } pinned)
        {
            if (pinned > daemon)
            {
                throw new ConfigurationException($"engines.docker.apiVersion: {pinned} is newer than the {daemon} the Docker daemon {version.Version} at {settings.Endpoint} speaks.");
            }

            return (pinned, version.Version);
        }

        if (daemon < DockerSettings.MinimumApiVersion)
        {
            throw new ConfigurationException($"The Docker daemon {version.Version} at {settings.Endpoint} speaks Engine API {daemon}; the docker engine needs {DockerSettings.MinimumApiVersion} or newer (Docker 20.10).");
        }

        return (daemon < NewestApiVersion ? daemon : NewestApiVersion, version.Version);
    }

    /// <summary>Whether an error means the daemon could not be reached or stopped answering (rather than refusing a request).</summary>
    public static bool IsUnreachable(Exception e) => e switch
    {
        DockerApiException => false,
        HttpRequestException or SocketException or IOException or TimeoutException or OperationCanceledException => true,
        AggregateException a => a.InnerExceptions.Any(IsUnreachable),
        _ => e.InnerException is { } inner && IsUnreachable(inner),
    };

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A one-line description of a connection error, innermost cause included.</summary>
    public static string Describe(Exception e)
    {
        if (e is OperationCanceledException)
        {
            return $"no answer within {AnswerTimeout.TotalSeconds:0} seconds";
        }

        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, e) ? e.Message : $"{e.Message} ({inner.Message})";
    }

    private static CertificateCredentials CreateTlsCredentials(DockerTlsSettings tls)
    {
        X509Certificate2? client = null;
        try
        {
            if (tls.CertFile is not null)
            {
                client = X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile);
            }
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new ConfigurationException($"engines.docker.tls: the client certificate '{tls.CertFile}' and key '{tls.KeyFile}' cannot be read: {e.Message}", e);
        }

        var credentials = new CertificateCredentials(client);
        if (tls.CaFile is not null)
        {
            X509Certificate2Collection authority = [];
            try
            {
                authority.ImportFromPemFile(tls.CaFile);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
            {
                throw new ConfigurationException($"engines.docker.tls.caFile: '{tls.CaFile}' cannot be read: {e.Message}", e);
            }

            credentials.ServerCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(certificate, errors, authority);
        }

        return credentials;
    }

    private static bool ChainsTo(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authority)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(server);
    }
}
