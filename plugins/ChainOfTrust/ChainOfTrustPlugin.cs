using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Plugins.ChainOfTrust;

internal sealed class ChainOfTrustPlugin(SigningKey key, JObject environment, WorkerIdentity identity) : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "features": {
              "type": "object",
              "properties": {
                "chainOfTrust": {
                  "type": "boolean",
                  "default": false,
                  "description": "Artifacts named public/chain-of-trust.json and public/chain-of-trust.json.sig are generated: the sha256 of each artifact the task uploads, with the task definition and the worker, signed with the worker's ed25519 key. The task may add data by writing JSON to chain-of-trust-additional-data.json in its directory; the worker's own data wins where keys clash."
                }
              }
            }
          }
        }
        """);

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Chain of trust", """
            With `features.chainOfTrust: true`, once the task's artifacts are uploaded the run gets
            `public/chain-of-trust.json` (generic-worker's certificate, `chainOfTrustVersion: 1`: `artifacts` maps each
            uploaded file artifact's name to its `sha256`, with `task`, `taskId`, `runId`, `workerGroup`, `workerId` and
            `environment`) and `public/chain-of-trust.json.sig`, the raw 64-byte ed25519 signature of the JSON's bytes,
            made with the key the worker's config names. The task logs (`public/logs/...`) are not in it, as in
            generic-worker. A JSON object the task writes to `chain-of-trust-additional-data.json` in its directory is
            merged into the certificate; the worker's own keys win. A worker without a signing key refuses the feature
            as a malformed payload, and so does one whose key file other users could read.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["features"]?["chainOfTrust"] is not { Type: JTokenType.Boolean } flag || !flag.Value<bool>())
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        if (key.IsReadableByOthers())
        {
            throw new MalformedPayloadException($"$.features.chainOfTrust: this worker's signing key '{key.Path}' is readable by other users, so the task could read it and forge certificates; the worker's operator must make it readable by the worker's user only (chmod 600)");
        }

        if (!options.Engine.Capabilities.Features.HasFlag(Engines.EngineFeatures.Artifacts))
        {
            throw new MalformedPayloadException($"$.features.chainOfTrust: the engine '{options.Engine.Name}' of this worker cannot read a task's files, so it cannot hash its artifacts");
        }

        return Task.FromResult<ITaskPlugin>(new ChainOfTrustTaskPlugin(options.Task, key, environment, identity));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
