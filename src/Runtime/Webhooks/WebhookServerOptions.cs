namespace TcWorker.Runtime.Webhooks;

/// <summary>How the webhook server listens and which URL it advertises.</summary>
public sealed class WebhookServerOptions
{
    /// <summary>
    /// <c>localhost</c> (a free port on 127.0.0.1, for development and tests) or <c>public</c>
    /// (<see cref="Listen"/> plus <see cref="AdvertisedBaseUrl"/>, for deployments).
    /// </summary>
    public string Mode { get; set; } = "localhost";

    /// <summary>The address to listen on in public mode, e.g. <c>0.0.0.0:60023</c>.</summary>
    public string? Listen { get; set; }

    /// <summary>The base URL clients reach the server at in public mode, e.g. <c>https://worker-17.example.com:60023</c>.</summary>
    public string? AdvertisedBaseUrl { get; set; }

    /// <summary>A PFX certificate to serve TLS with, in public mode.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// How often the server pings an open WebSocket, so that an idle session outlives the idle timeouts
    /// of proxies and NATs on the way; 30 s by default.
    /// </summary>
    public TimeSpan WebSocketKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a WebSocket client may take to answer a ping before the server drops the connection,
    /// so that a vanished client does not hold a session open; 60 s by default.
    /// </summary>
    public TimeSpan WebSocketKeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a client may take to send a request's headers before the server closes the connection,
    /// so that clients trickling headers (slow loris) cannot hold connections; 10 s by default.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
