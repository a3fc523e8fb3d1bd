using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Plugins;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The task payload schema of one worker, with validators built once. Each engine has a branch: the
/// runtime's containers (<c>features</c>, <c>onExitStatus</c>), the engine's payload schema, and each
/// plugin's schema for that engine (<see cref="IPlugin.GetPayloadSchema"/>), composed into one object
/// schema. With one engine <see cref="Schema"/> is that object schema; with several it is a <c>oneOf</c>
/// of the branches, and a task runs on the engine whose branch its payload matches. Build it once per
/// worker (composition and validator construction are not cheap) and hand it to every run. Thread-safe.
/// </summary>
public sealed class TaskPayloadSchema
{
    /// <summary>Who declares the containers, in conflict messages.</summary>
    internal const string RuntimeOwner = "the runtime";

    /// <summary>
    /// Keys of generic-worker's payload (and <c>image</c>, its docker-worker form), with the well-known
    /// keys inside its containers. A payload using one that no engine or plugin here owns is told it is not
    /// supported yet, rather than merely "not allowed". Features are told apart on their own (any feature).
    /// </summary>
    private static readonly string[] GenericWorkerKeys =
    [
        "artifacts", "command", "env", "features", "image", "logs", "maxRunTime", "mounts", "onExitStatus",
        "osGroups", "rdpInfo", "supersederUrl", "taskclusterProxyInterface",
        "onExitStatus.retry", "onExitStatus.purgeCaches",
    ];

    /// <summary>Keys of docker-worker's payload, for its dialect's branches, as <see cref="GenericWorkerKeys"/>.</summary>
    private static readonly string[] DockerWorkerKeys =
    [
        "artifacts", "cache", "capabilities", "command", "env", "features", "image", "log", "maxRunTime", "onExitStatus",
        "supersederUrl", "onExitStatus.retry", "onExitStatus.purgeCaches",
    ];

    private readonly IReadOnlyList<EngineBranch> branches;

    private TaskPayloadSchema(JObject schema, IReadOnlyList<EngineBranch> branches)
    {
        Schema = schema;
        this.branches = branches;
    }

    /// <summary>The composed payload schema (for <c>tc-worker schema payload</c> and documentation).</summary>
    public JObject Schema { get; }

    /// <summary>The engine branches, in config order.</summary>
    internal IReadOnlyList<EngineBranch> Branches => branches;

    /// <summary>
    /// The runtime's own part: the containers <c>features</c> and <c>onExitStatus</c>, which engines and
    /// plugins add their keys into. An object each, allowing nothing that no component declares.
    /// </summary>
    internal static JObject RuntimeContainers() => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "features": {
              "type": "object",
              "description": "Features of the worker to turn on for this task; each one is provided by an engine or a plugin.",
              "properties": {},
              "additionalProperties": false
            },
            "onExitStatus": {
              "type": "object",
              "description": "What some exit codes of the task mean; each key is provided by an engine or a plugin.",
              "properties": {},
              "additionalProperties": false
            }
          }
        }
        """);

    /// <summary>
    /// Composes the payload schema. Throws <see cref="SchemaConflictException"/> when two parts claim the
    /// same key, <see cref="SchemaCompositionException"/> for a <c>$ref</c> that cannot be kept or a schema
    /// that cannot be read, and <see cref="ArgumentException"/> when a part's schema is not a valid JSON schema.
    /// </summary>
    /// <param name="components">The engines and the enabled plugins.</param>
    /// <returns>The composed schema.</returns>
    public static TaskPayloadSchema Compose(TaskRunComponents components)
    {
        ArgumentNullException.ThrowIfNull(components);
        var definitions = new SchemaDefinitions();
        var several = components.Engines.Count > 1;
        var problems = new List<string>();
        var unreadable = new List<string>();
        var conflictsOnly = true;
        var composed = new List<(NamedEngine Engine, string Dialect, ComposedSchema Schema, List<NamedPlugin> Plugins)>();
        foreach (var engine in components.Engines)
        {
            var owner = $"engine '{engine.Name}'";
            if (!TryRead(owner, "its payload dialect and capabilities", unreadable, () => (engine.Engine.PayloadDialect, engine.Engine.Capabilities), out var about)
                || !TryRead(owner, "its payload schema", unreadable, () => engine.Engine.PayloadSchema, out var engineSchema))
            {
                continue;
            }

            var branch = new PayloadBranch { EngineName = engine.Name, Dialect = about.PayloadDialect, Capabilities = about.Capabilities };
            var parts = new List<SchemaPart> { new(RuntimeOwner, RuntimeContainers()), new(owner, engineSchema) };
            var plugins = new List<NamedPlugin>();
            foreach (var plugin in components.Plugins)
            {
                if (TryRead($"plugin '{plugin.Name}'", $"its payload schema for engine '{engine.Name}'", unreadable, () => plugin.Plugin.GetPayloadSchema(branch), out var pluginSchema)
                    && pluginSchema is not null)
                {
                    parts.Add(new SchemaPart($"plugin '{plugin.Name}'", pluginSchema));
                    plugins.Add(plugin);
                }
            }

            try
            {
                composed.Add((engine, branch.Dialect, SchemaComposer.Compose(several ? $"Engine '{engine.Name}' ({branch.Dialect} payload)" : "Task payload", parts, definitions), plugins));
            }
            catch (SchemaCompositionException e)
            {
                conflictsOnly &= e is SchemaConflictException;
                problems.AddRange(several ? e.Problems.Select(p => $"in the branch of engine '{engine.Name}': {p}") : e.Problems);
            }
        }

        if (unreadable.Count > 0 || problems.Count > 0)
        {
            throw conflictsOnly && unreadable.Count == 0 ? new SchemaConflictException(problems) : new SchemaCompositionException([.. unreadable, .. problems]);
        }

        var branches = composed.Select(c => EngineBranch.Create(c.Engine, c.Dialect, c.Schema, c.Plugins, definitions)).ToList();
        JObject schema;
        if (!several)
        {
            schema = (JObject)composed[0].Schema.Schema.DeepClone();
        }
        else
        {
            schema = new JObject
            {
                ["$schema"] = "http://json-schema.org/draft-07/schema#",
                ["title"] = "Task payload",
                ["description"] = $"This worker runs tasks on the engines {string.Join(", ", branches.Select(b => $"'{b.EngineName}'"))}; a payload must match exactly one engine's branch, and runs on that engine.",
                ["oneOf"] = new JArray(composed.Select(c => Without(c.Schema.Schema, "$schema"))),
            };
        }

        definitions.AddTo(schema, composed.SelectMany(c => c.Schema.Parts).SelectMany(p => p.DefinitionNames));
        return new TaskPayloadSchema(schema, branches);
    }

    /// <summary>
    /// Validates a payload against every engine branch and picks the engine: the one branch it matches,
    /// or, when it matches none or several, the closest branch (fewest violations, then config order) with
    /// messages that explain why. Every message carries the JSON path it is about; none when it matches one.
    /// </summary>
    internal PayloadMatch Match(JToken? payload)
    {
        if (payload is not JObject payloadObject)
        {
            return new PayloadMatch(branches[0], [$"$: the task payload must be an object, found {SchemaValidator.Show(payload)}"]);
        }

        if (branches.Count == 1)
        {
            return new PayloadMatch(branches[0], branches[0].Validate(payloadObject));
        }

        var results = branches.Select(b => (Branch: b, Violations: b.Validate(payloadObject))).ToList();
        var matching = results.Where(r => r.Violations.Count == 0).Select(r => r.Branch).ToList();
        if (matching.Count == 1)
        {
            return new PayloadMatch(matching[0], []);
        }

        if (matching.Count > 1)
        {
            return new PayloadMatch(matching[0], [
                $"$: the payload matches the payload forms of several engines of this worker: {Names(matching)}; it must match exactly one, so that it is clear which engine runs it",
            ]);
        }

        // Fewest problems first; between equals, the branch that declares more of the payload's keys (a payload
        // with an image and generic-worker's command is closer to docker-worker's), then config order.
        var closest = results.OrderBy(r => r.Violations.Count).ThenByDescending(r => r.Branch.DeclaredKeys(payloadObject)).First();
        var messages = new List<string>
        {
            $"$: the payload matches none of the engines of this worker ({Names(branches)}); it comes closest to engine '{closest.Branch.EngineName}' ({closest.Branch.Dialect} payload), which finds these problems:",
        };
        messages.AddRange(closest.Violations);
        foreach (var (branch, violations) in results.Where(r => r.Branch != closest.Branch))
        {
            var more = violations.Count > 1 ? $" (and {violations.Count - 1} more)" : string.Empty;
            messages.Add($"$: engine '{branch.EngineName}' ({branch.Dialect} payload) does not match either: {violations[0]}{more}");
        }

        return new PayloadMatch(closest.Branch, messages);
    }

    /// <summary>Validates a payload; every message carries the JSON path it is about. Empty when it matches exactly one engine.</summary>
    internal IReadOnlyList<string> Validate(JToken? payload) => Match(payload).Violations;

    private static string Names(IEnumerable<EngineBranch> branches) => string.Join(", ", branches.Select(b => $"'{b.EngineName}'"));

    private static JObject Without(JObject schema, string keyword)
    {
        var copy = (JObject)schema.DeepClone();
        copy.Remove(keyword);
        return copy;
    }

    private static bool TryRead<T>(string owner, string what, List<string> problems, Func<T> read, out T value)
    {
        try
        {
            value = read();
            return true;
        }
        catch (Exception e)
        {
            problems.Add($"{owner}: reading {what} failed: {e.Message}");
            value = default!;
            return false;
        }
    }

    /// <summary>Which keys of the dialect's payload (generic-worker's unless docker-worker) a branch does not own: they get a clearer message than "not allowed".</summary>
    internal static IReadOnlyList<string> UnownedKnownKeys(JObject branchSchema, string dialect) =>
        (dialect == PayloadDialects.DockerWorker ? DockerWorkerKeys : GenericWorkerKeys).Where(path => !Declares(branchSchema, path.Split('.'))).ToList();

    private static bool Declares(JObject schema, string[] path)
    {
        var current = schema;
        foreach (var key in path)
        {
            if (current["properties"]?[key] is not JObject next)
            {
                return false;
            }

            current = next;
        }

        return true;
    }
}

/// <summary>The engine a payload chose (or came closest to) and what is wrong with the payload; nothing when it is valid.</summary>
internal sealed record PayloadMatch(EngineBranch Branch, IReadOnlyList<string> Violations);

/// <summary>A plugin that takes part in an engine branch, with its share of that branch's schema.</summary>
internal sealed class BranchPlugin(NamedPlugin plugin, ComposedPart part)
{
    // Only needed when a whole payload is invalid; built on first use to keep start-up short.
    private readonly Lazy<SchemaValidator> validator = new(() => SchemaValidator.Create(part.Schema));

    public string Name => plugin.Name;

    public IPlugin Plugin => plugin.Plugin;

    /// <summary>The plugin's schema in this branch, on its own (references rewritten, its definitions included).</summary>
    public JObject Schema => part.Schema;

    /// <summary>The payload keys the plugin owns in this branch.</summary>
    public JObject Payload(JObject payload) => part.Filter(payload);

    /// <summary>Whether a plugin's own keys are valid on their own (they may be even when the whole payload is not).</summary>
    public bool IsValid(JObject own) => validator.Value.Validate(own).Count == 0;
}

/// <summary>One engine's branch of the payload schema: the engine, the plugins that take part, and the validator.</summary>
internal sealed class EngineBranch
{
    private readonly SchemaValidator validator;
    private readonly IReadOnlyList<string> unownedKeys;
    private readonly HashSet<string> offeredFeatures;

    private EngineBranch(NamedEngine engine, string dialect, ComposedPart enginePart, IReadOnlyList<BranchPlugin> plugins, JObject schema)
    {
        Engine = engine;
        Dialect = dialect;
        EnginePart = enginePart;
        Plugins = plugins;
        Schema = schema;
        validator = SchemaValidator.Create(schema);
        unownedKeys = TaskPayloadSchema.UnownedKnownKeys(schema, dialect);
        offeredFeatures = (schema["properties"]?["features"]?["properties"] as JObject)?.Properties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) ?? [];
    }

    /// <summary>The branch's object schema on its own, with the definitions it uses.</summary>
    public JObject Schema { get; }

    /// <summary>The engine's share of the branch.</summary>
    public ComposedPart EnginePart { get; }

    public NamedEngine Engine { get; }

    public string EngineName => Engine.Name;

    public string Dialect { get; }

    /// <summary>The plugins that take part in this branch, in config order; the others are not run for its tasks.</summary>
    public IReadOnlyList<BranchPlugin> Plugins { get; }

    public static EngineBranch Create(NamedEngine engine, string dialect, ComposedSchema composed, IReadOnlyList<NamedPlugin> plugins, SchemaDefinitions definitions)
    {
        // Parts: the runtime's containers, the engine, then the plugins that take part, in that order.
        var schema = (JObject)composed.Schema.DeepClone();
        definitions.AddTo(schema, composed.Parts.SelectMany(p => p.DefinitionNames));
        var branchPlugins = plugins.Select((p, i) => new BranchPlugin(p, composed.Parts[i + 2])).ToList();
        return new EngineBranch(engine, dialect, composed.Parts[1], branchPlugins, schema);
    }

    /// <summary>The payload keys the engine owns.</summary>
    public JObject EnginePayload(JObject payload) => EnginePart.Filter(payload);

    /// <summary>How many of the payload's top-level keys this branch declares.</summary>
    public int DeclaredKeys(JObject payload) => payload.Properties().Count(p => Schema["properties"]?[p.Name] is not null);

    /// <summary>Validates a payload against this branch alone; every message carries its JSON path.</summary>
    public IReadOnlyList<string> Validate(JObject payload)
    {
        var messages = new List<string>();
        var checkedPayload = (JObject)payload.DeepClone();
        if (checkedPayload["features"] is JObject features)
        {
            foreach (var feature in features.Properties().Where(p => !offeredFeatures.Contains(p.Name)).ToList())
            {
                feature.Remove();
                messages.Add($"$.features.{feature.Name}: this worker does not offer the feature '{feature.Name}' to tasks of engine '{EngineName}' ({Dialect} payload); no enabled engine or plugin provides it");
            }
        }

        foreach (var path in unownedKeys)
        {
            var keys = path.Split('.');
            var parent = checkedPayload;
            for (var i = 0; i < keys.Length - 1 && parent is not null; i++)
            {
                parent = parent[keys[i]] as JObject;
            }

            if (parent?.Remove(keys[^1]) == true)
            {
                messages.Add($"$.{path}: the {(Dialect == PayloadDialects.DockerWorker ? Dialect : PayloadDialects.GenericWorker)} payload key '{path}' is not supported by this worker yet (no enabled engine or plugin handles it)");
            }
        }

        messages.AddRange(validator.Validate(checkedPayload).Select(v => v.ToString()));
        return messages;
    }
}
