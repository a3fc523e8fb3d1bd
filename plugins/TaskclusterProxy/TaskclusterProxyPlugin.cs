using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Plugins.TaskclusterProxy;

internal sealed class TaskclusterProxyPlugin : IPlugin
{
    private readonly TimeProvider time;
    private readonly HttpMessageInvoker http;

    public TaskclusterProxyPlugin(TimeProvider time)
    {
        this.time = time;
        // One connection pool for every task's proxy: the requests all go to the deployment's services.
        // Redirects go back to the task unchanged, as the official proxy passes them.
        http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        });
    }

    public JObject PayloadSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "features": {
              "type": "object",
              "properties": {
                "taskclusterProxy": {
                  "type": "boolean",
                  "default": false,
                  "description": "Runs a taskcluster-proxy for the task: TASKCLUSTER_PROXY_URL (and, in Docker containers, http://taskcluster/) takes Taskcluster API calls and signs them with the run's temporary credentials, restricted to the task's scopes plus queue:create-artifact:<taskId>/<runId>."
                }
              }
            }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Taskcluster proxy", """
            With `features.taskclusterProxy: true` the task calls Taskcluster APIs without credentials in its
            payload: `TASKCLUSTER_PROXY_URL` points at a proxy that signs each request with the run's temporary
            credentials (renewed with every reclaim), restricted to the task's `scopes` plus
            `queue:create-artifact:<taskId>/<runId>`, as generic-worker does. Use it as a client's root URL
            (`new taskcluster.Queue({rootUrl: process.env.TASKCLUSTER_PROXY_URL})`) or call
            `$TASKCLUSTER_PROXY_URL/api/<service>/<version>/<path>`; the older `/<service>/<version>/<path>`
            works too, and a POST of a URL to `/bewit` answers 303 with that URL signed for an hour. Responses,
            redirects included, come back unchanged; an unknown service answers 404. Docker tasks also reach the
            proxy as `http://taskcluster/`. The proxy stops when the task ends. Requesting it from an engine
            without proxies is a malformed payload.
            """),
    ];

    /// <summary>generic-worker's payload also says where the proxy listens: <c>taskclusterProxyInterface</c>.</summary>
    public JObject? GetPayloadSchema(PayloadBranch branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        var schema = PayloadSchema;
        if (branch.Dialect == PayloadDialects.GenericWorker)
        {
            ((JObject)schema["properties"]!)["taskclusterProxyInterface"] = JObject.Parse("""
                {
                  "enum": ["localhost", "docker-bridge"],
                  "default": "localhost",
                  "description": "Where the taskcluster proxy listens, as in generic-worker. This worker serves it on the loopback interface (localhost); docker-bridge, for containers on Docker's bridge network, is refused when features.taskclusterProxy is on."
                }
                """);
        }

        return schema;
    }

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["features"]?["taskclusterProxy"]?.Type != JTokenType.Boolean || !options.Payload["features"]!["taskclusterProxy"]!.Value<bool>())
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        if (options.Payload.Value<string>("taskclusterProxyInterface") == "docker-bridge")
        {
            throw new MalformedPayloadException(
                $"$.taskclusterProxyInterface: this worker serves the taskcluster proxy of engine '{options.Engine.Name}' tasks on the loopback interface only; docker-bridge (for containers on Docker's bridge network) is not offered, use localhost");
        }

        if (!options.Engine.Capabilities.Features.HasFlag(EngineFeatures.Proxies))
        {
            throw new MalformedPayloadException(NoProxies(options.Engine.Name));
        }

        var handler = new ProxyHandler(options.Task, http, time);
        return Task.FromResult<ITaskPlugin>(new TaskclusterProxyTaskPlugin(handler, options.Engine.Name, options.Task.Log));
    }

    /// <summary>The malformed-payload message for an engine that cannot attach proxies.</summary>
    internal static string NoProxies(string engine) =>
        $"$.features.taskclusterProxy: the engine '{engine}' of this worker does not offer proxies, so it cannot run a taskcluster-proxy for the task";

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
