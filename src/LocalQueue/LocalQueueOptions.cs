using System.Net;

namespace TcWorker.LocalQueue;

/// <summary>Settings of a <see cref="LocalQueueServer"/>. Every member has a usable default.</summary>
public sealed record LocalQueueOptions
{
    /// <summary>Where the server listens; defaults to 127.0.0.1 on a free port.</summary>
    public IPEndPoint ListenEndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// The folder holding <c>queue.db</c> (SQLite) and <c>artifacts/</c>; created when missing. Only
    /// the user the server runs as may read it: the folder is made 700 and everything in it 600 at
    /// start. Null: a new folder under the system temp folder, which the server deletes on dispose.
    /// </summary>
    public string? DataFolder { get; init; }

    /// <summary>
    /// The root client (scope <c>*</c>), which also issues the per-claim temporary credentials.
    /// Null: <c>static/local-queue/root</c>. The <c>TASKCLUSTER_*</c> variables are never used.
    /// </summary>
    public string? RootClientId { get; init; }

    /// <summary>
    /// The root client's access token. Null: a random token generated once and kept in the data
    /// folder (so issued credentials survive restarts).
    /// </summary>
    public string? RootAccessToken { get; init; }

    /// <summary>How long a claim lasts before it must be reclaimed (the real queue's default is 1200 s).</summary>
    public TimeSpan ClaimTimeout { get; init; } = TimeSpan.FromSeconds(1200);

    /// <summary>How long claimWork waits for work before answering with no tasks (the real queue's is 20 s).</summary>
    public TimeSpan ClaimWorkWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>When true, requests without credentials are granted every scope. Off by default: they get <see cref="AnonymousScopes"/>.</summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>
    /// The scopes of the deployment's anonymous role, granted to every call with or without credentials
    /// (after an <c>authorizedScopes</c> restriction), as Taskcluster grants <c>assume:anonymous</c> to
    /// every call. By default what public deployments grant for reading: <c>queue:get-artifact:public/*</c>
    /// and <c>index:find-task:*</c>. Empty: callers have only their own scopes.
    /// </summary>
    public IReadOnlyList<string> AnonymousScopes { get; init; } = ["queue:get-artifact:public/*", "index:find-task:*"];

    /// <summary>
    /// Optional JSON file of further permanent clients:
    /// <c>[{"clientId": "...", "accessToken": "...", "scopes": ["..."], "expires": "ISO date"?}]</c>.
    /// </summary>
    public string? ClientsFile { get; init; }

    /// <summary>How often claim expiry and task deadlines are checked.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where artifact bytes live. Null (the default): the data folder, behind URLs this server signs
    /// and serves. Set: an S3-compatible bucket behind presigned URLs.
    /// </summary>
    public LocalQueueS3Options? S3 { get; init; }

    /// <summary>
    /// The most connections served at once (1000); a connection beyond it is closed as soon as it
    /// is accepted, until others end. Bounds what a flood of connections can hold.
    /// </summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>How long a client may take to send a request's headers (10 s); then the connection is closed.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the body of an API request (JSON, at most 10 MB) may take to arrive once the caller is
    /// authenticated (30 s); then the request ends with 408 and the connection is closed. Artifact
    /// uploads to the signed URLs have no such bound: <see cref="MinRequestBodyDataRate"/> holds them.
    /// </summary>
    public TimeSpan RequestBodyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest a request body may arrive, in bytes per second (240; 0 turns the check off): each
    /// <see cref="MinRequestBodyDataRateWindow"/> must bring this rate times the window, else the
    /// request ends with 408 and the connection is closed. A window starts when the previous one got
    /// its bytes, so bytes sent ahead never pay for a later stall (Kestrel's own minimum rate averages
    /// over the whole body: a fast first megabyte would buy hours of silence).
    /// </summary>
    public double MinRequestBodyDataRate { get; init; } = 240;

    /// <summary>The window <see cref="MinRequestBodyDataRate"/> is measured over (20 s): also the longest a body may pause.</summary>
    public TimeSpan MinRequestBodyDataRateWindow { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The reverse proxies whose <c>X-Forwarded-Port</c> and <c>X-Forwarded-Proto</c> are believed
    /// when checking the port a Hawk signature names. Empty (the default): those headers are ignored,
    /// since any client can send them.
    /// </summary>
    public IReadOnlyList<IPAddress> TrustedProxies { get; init; } = [];

    /// <summary>
    /// The composed task payload schema (JSON text, as <c>tc-worker schema payload</c> prints it) of
    /// the worker config the queue serves, which the dashboard's editor checks payloads against
    /// (local-only <c>getPayloadSchema</c>). Null (the default): there is none, and the editor checks
    /// only what every task needs. Text that is not a JSON object fails the start with an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public string? PayloadSchema { get; init; }

    /// <summary>The clock for claims, deadlines, credentials and signed URLs.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
