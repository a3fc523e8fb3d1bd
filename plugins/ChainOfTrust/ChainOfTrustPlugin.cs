using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Plugins.ChainOfTrust;

internal sealed class ChainOfTrustPlugin(SigningKey key, JObject environment, IWorkerEnvironment worker) : IPlugin
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
            `environment`: the instance's `publicIpAddress`, `privateIpAddress`, `instanceId`, `instanceType` and `region`),
            `public/chain-of-trust.json.sig`, the raw 64-byte ed25519 signature of the JSON's bytes, made with the key the
            worker's config names, and `public/logs/certified.log`, a copy of the task log whose sha256 the certificate
            holds. A JSON object the task writes to `chain-of-trust-additional-data.json` in its directory is
            merged into the certificate; the worker's own keys win (objects under the same key are merged likewise). A worker
            without a signing key refuses the feature as a malformed payload, and so does one whose task's user could read
            the key: a key file other users may read, a task running as root or as the key's owner (the native engine
            without `createUser`), or `runTaskAsCurrentUser`.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["features"]?["chainOfTrust"] is not { Type: JTokenType.Boolean } flag || !flag.Value<bool>())
        {
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        if (TaskUserAccess.WhyReadable(key.Path, null, worker.Storage.Root) is { } why)
        {
            throw new MalformedPayloadException($"$.features.chainOfTrust: {why}, so the task could read it and forge certificates; the worker's operator must make it readable by the worker's user only (chmod 600)");
        }

        if (options.Task.Task["payload"]?["features"]?["runTaskAsCurrentUser"] is { Type: JTokenType.Boolean } asWorker && asWorker.Value<bool>())
        {
            throw new MalformedPayloadException("$.features.chainOfTrust: with $.features.runTaskAsCurrentUser the task runs as the worker's own user, who can read the signing key and so forge certificates; a task cannot ask for both");
        }

        if (!options.Engine.Capabilities.Features.HasFlag(Engines.EngineFeatures.Artifacts))
        {
            throw new MalformedPayloadException($"$.features.chainOfTrust: the engine '{options.Engine.Name}' of this worker cannot read a task's files, so it cannot hash its artifacts");
        }

        return Task.FromResult<ITaskPlugin>(new ChainOfTrustTaskPlugin(options.Task, key, environment, worker.Identity, worker.Storage.Root));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
