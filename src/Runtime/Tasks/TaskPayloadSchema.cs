using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The task payload schema of one worker: the engine's and the enabled plugins' payload schemas
/// composed into one, with validators built once. Build it once per worker (composition and
/// validator construction are not cheap) and hand it to every run. Thread-safe.
/// </summary>
public sealed class TaskPayloadSchema
{
    /// <summary>
    /// Top-level keys of generic-worker's payload (and <c>image</c>, its docker-worker form). A payload
    /// using one that no engine or plugin here owns is told it is not supported yet, rather than
    /// merely "not allowed".
    /// </summary>
    private static readonly string[] GenericWorkerKeys =
    [
        "artifacts", "command", "env", "features", "image", "logs", "maxRunTime", "mounts", "onExitStatus",
        "osGroups", "rdpInfo", "supersederUrl", "taskclusterProxyInterface",
    ];

    private readonly JObject enginePart;
    private readonly JObject[] pluginParts;
    private readonly SchemaValidator validator;
    private readonly Lazy<SchemaValidator>[] pluginValidators;

    private TaskPayloadSchema(JObject schema, JObject enginePart, JObject[] pluginParts)
    {
        Schema = schema;
        this.enginePart = enginePart;
        this.pluginParts = pluginParts;
        validator = SchemaValidator.Create(schema);
        // Only needed when a whole payload is invalid; built on first use to keep start-up short.
        pluginValidators = pluginParts.Select(part => new Lazy<SchemaValidator>(() => SchemaValidator.Create(part))).ToArray();
    }

    /// <summary>The composed payload schema (for <c>tc-worker schema</c> and documentation).</summary>
    public JObject Schema { get; }

    /// <summary>
    /// Composes the payload schema. Throws <see cref="SchemaConflictException"/> when two parts claim
    /// the same key, and <see cref="ArgumentException"/> when a part's schema is not a valid JSON schema.
    /// </summary>
    /// <param name="components">The engine and the enabled plugins.</param>
    /// <returns>The composed schema.</returns>
    public static TaskPayloadSchema Compose(TaskRunComponents components)
    {
        ArgumentNullException.ThrowIfNull(components);
        var enginePart = components.Engine.PayloadSchema;
        var pluginParts = components.Plugins.Select(p => p.Plugin.PayloadSchema).ToArray();
        var parts = new List<SchemaPart> { new($"engine '{components.EngineName}'", enginePart) };
        parts.AddRange(components.Plugins.Select((p, i) => new SchemaPart($"plugin '{p.Name}'", pluginParts[i])));
        var schema = SchemaComposer.ComposeObject("Task payload", parts);
        return new TaskPayloadSchema(schema, enginePart, pluginParts);
    }

    /// <summary>Validates a payload; every message carries the JSON path it is about. Empty when valid.</summary>
    internal IReadOnlyList<string> Validate(JToken? payload)
    {
        if (payload is not JObject payloadObject)
        {
            return [$"$: the task payload must be an object, found {SchemaValidator.Show(payload)}"];
        }

        var messages = new List<string>();
        var owned = Schema["properties"] as JObject ?? [];
        var checkedPayload = (JObject)payloadObject.DeepClone();
        foreach (var key in GenericWorkerKeys)
        {
            if (owned.ContainsKey(key) || !checkedPayload.Remove(key))
            {
                continue;
            }

            messages.Add($"$.{key}: the generic-worker payload key '{key}' is not supported by this worker yet (no enabled engine or plugin handles it)");
        }

        messages.AddRange(validator.Validate(checkedPayload).Select(v => v.ToString()));
        return messages;
    }

    /// <summary>The payload keys the engine owns.</summary>
    internal JObject EnginePayload(JObject payload) => SchemaComposer.Filter(payload, enginePart);

    /// <summary>The payload keys plugin number <paramref name="index"/> owns.</summary>
    internal JObject PluginPayload(int index, JObject payload) => SchemaComposer.Filter(payload, pluginParts[index]);

    /// <summary>Whether a plugin's own keys are valid on their own (they may be even when the whole payload is not).</summary>
    internal bool IsValidPluginPayload(int index, JObject pluginPayload) => pluginValidators[index].Value.Validate(pluginPayload).Count == 0;
}
