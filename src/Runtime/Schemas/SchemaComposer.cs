using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Schemas;

/// <summary>One contributor to a composed object schema: an engine, a plugin or the runtime, and the keys it owns.</summary>
/// <param name="Owner">Who contributes, e.g. <c>plugin 'env'</c>.</param>
/// <param name="Schema">An object schema whose <c>properties</c>, <c>required</c> and <c>definitions</c> (or <c>$defs</c>) are merged.</param>
public sealed record SchemaPart(string Owner, JObject Schema);

/// <summary>
/// Composes object schemas from parts that each own some keys, as taskcluster-worker merged the
/// engine's and plugins' payload schemas. A key declared by one part is that part's. A key declared by
/// several parts as an object schema with <c>properties</c> is a container: its properties merge the
/// same way, recursively, <c>required</c> merges, and <c>additionalProperties: false</c> stays when any
/// declarer says so. Any other key declared twice is a conflict. Each part's <c>definitions</c> and
/// <c>$defs</c> move into the composed schema's <c>definitions</c> under names of their own
/// (<c>plugin-env.name</c>), and the part's local <c>$ref</c>s follow them.
/// </summary>
public static class SchemaComposer
{
    /// <summary>Keywords of a container that only annotate it: the first declarer's is kept, the others' are ignored.</summary>
    private static readonly HashSet<string> ContainerAnnotations = new(StringComparer.Ordinal)
    {
        "title", "description", "$comment", "examples", "default",
    };

    /// <summary>
    /// Merges the parts into one object schema that allows no other keys. Throws
    /// <see cref="SchemaConflictException"/> naming every key claimed twice (by its dotted path) and by
    /// whom, and <see cref="SchemaCompositionException"/> for a <c>$ref</c> that cannot be kept.
    /// </summary>
    /// <param name="title">The composed schema's title.</param>
    /// <param name="parts">The parts, in order.</param>
    /// <returns>The composed schema.</returns>
    public static JObject ComposeObject(string title, IEnumerable<SchemaPart> parts) => Compose(title, parts).Schema;

    /// <summary>
    /// Merges the parts as <see cref="ComposeObject"/> does, and keeps what each part owns, to filter
    /// documents and validate each part's keys on their own.
    /// </summary>
    /// <param name="title">The composed schema's title.</param>
    /// <param name="parts">The parts, in order.</param>
    /// <returns>The composed schema and its parts.</returns>
    public static ComposedSchema Compose(string title, IEnumerable<SchemaPart> parts)
    {
        var definitions = new SchemaDefinitions();
        var composed = Compose(title, parts, definitions);
        definitions.AddTo(composed.Schema, composed.Parts.SelectMany(p => p.DefinitionNames));
        return composed;
    }

    /// <summary>
    /// Composes into a shared set of definitions, for several compositions that end up in one document
    /// (the engine branches of a payload schema). The returned schema holds no <c>definitions</c>; the
    /// caller adds them (<see cref="SchemaDefinitions.AddTo"/>). Each part's own schema holds its own.
    /// </summary>
    internal static ComposedSchema Compose(string? title, IEnumerable<SchemaPart> parts, SchemaDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        var conflicts = new List<string>();
        var problems = new List<string>();
        var rewritten = list.Select(part => definitions.Import(part, problems)).ToList();
        var owned = list.Select(_ => new KeyOwnership()).ToArray();
        var levels = rewritten.Select((r, i) => new Level(i, r.Schema["properties"] as JObject ?? [])).ToList();
        var properties = MergeLevel(string.Empty, levels, owned, list, conflicts, problems);
        var required = new List<string>();
        foreach (var part in rewritten)
        {
            AddRequired(required, part.Schema["required"]);
        }

        if (conflicts.Count > 0 && problems.Count == 0)
        {
            throw new SchemaConflictException(conflicts);
        }

        if (conflicts.Count + problems.Count > 0)
        {
            throw new SchemaCompositionException([.. conflicts, .. problems]);
        }

        var composed = new JObject { ["$schema"] = "http://json-schema.org/draft-07/schema#" };
        if (title is not null)
        {
            composed["title"] = title;
        }

        composed["type"] = "object";
        composed["properties"] = properties;
        composed["additionalProperties"] = false;
        if (required.Count > 0)
        {
            composed["required"] = new JArray(required);
        }

        var composedParts = list.Select((part, i) => new ComposedPart(part.Owner, rewritten[i].Schema, rewritten[i].DefinitionNames, owned[i])).ToList();
        return new ComposedSchema(composed, composedParts);
    }

    /// <summary>Returns the keys of <paramref name="document"/> that <paramref name="schema"/> declares in its top-level <c>properties</c>.</summary>
    /// <param name="document">A payload or config object.</param>
    /// <param name="schema">An object schema.</param>
    /// <returns>A new object with only those keys. Inside containers, use <see cref="ComposedPart.Filter"/>.</returns>
    public static JObject Filter(JObject document, JObject schema)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(schema);
        var result = new JObject();
        if (schema["properties"] is JObject properties)
        {
            foreach (var property in properties.Properties())
            {
                if (document.TryGetValue(property.Name, StringComparison.Ordinal, out var value))
                {
                    result[property.Name] = value.DeepClone();
                }
            }
        }

        return result;
    }

    /// <summary>Merges one level of <c>properties</c> maps; records who owns what in <paramref name="owned"/>.</summary>
    private static JObject MergeLevel(string prefix, IReadOnlyList<Level> levels, KeyOwnership[] owned, IReadOnlyList<SchemaPart> parts, List<string> conflicts, List<string> problems)
    {
        var merged = new JObject();
        var keys = levels.SelectMany(l => l.Properties.Properties().Select(p => p.Name)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var key in keys)
        {
            var declarers = levels.Where(l => l.Properties.ContainsKey(key)).Select(l => (l.Part, Value: l.Properties[key]!)).ToList();
            var path = prefix + key;
            if (declarers.Count == 1)
            {
                merged[key] = declarers[0].Value.DeepClone();
                owned[declarers[0].Part].Keys[key] = null;
                continue;
            }

            var leaves = declarers.Where(d => !IsContainer(d.Value)).ToList();
            if (leaves.Count == 0)
            {
                var inner = declarers.Select(d => (d.Part, Schema: (JObject)d.Value)).ToList();
                var innerOwned = owned.Select(_ => new KeyOwnership()).ToArray();
                merged[key] = MergeContainer(path, inner, innerOwned, parts, conflicts, problems);
                foreach (var (part, _) in inner)
                {
                    owned[part].Keys[key] = innerOwned[part];
                }

                continue;
            }

            merged[key] = declarers[0].Value.DeepClone();
            foreach (var pair in leaves.Select(l => Pair(declarers.First(d => d.Part != l.Part).Part, l.Part)).Distinct())
            {
                conflicts.Add($"the key '{path}' is claimed by both {parts[pair.First].Owner} and {parts[pair.Second].Owner}");
            }
        }

        return merged;
    }

    private static (int First, int Second) Pair(int a, int b) => a < b ? (a, b) : (b, a);

    /// <summary>An object schema with <c>properties</c> (and no other type, no reference): several parts may add to it.</summary>
    private static bool IsContainer(JToken declaration) =>
        declaration is JObject schema
        && schema["properties"] is JObject
        && schema["$ref"] is null
        && (schema["type"] is null || schema["type"] is JValue { Type: JTokenType.String } type && (string?)type == "object");

    private static JObject MergeContainer(string path, IReadOnlyList<(int Part, JObject Schema)> declarers, KeyOwnership[] owned, IReadOnlyList<SchemaPart> parts, List<string> conflicts, List<string> problems)
    {
        var merged = new JObject { ["type"] = "object" };
        var keywordOwners = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (part, schema) in declarers)
        {
            foreach (var (keyword, value) in schema)
            {
                if (keyword is "type" or "properties" or "required" or "additionalProperties" || value is null)
                {
                    continue;
                }

                if (!merged.TryGetValue(keyword, out var existing))
                {
                    merged[keyword] = value.DeepClone();
                    keywordOwners[keyword] = part;
                }
                else if (!ContainerAnnotations.Contains(keyword) && !JToken.DeepEquals(existing, value))
                {
                    problems.Add($"the container '{path}' has '{keyword}' declared differently by {parts[keywordOwners[keyword]].Owner} and {parts[part].Owner}");
                }
            }
        }

        merged["properties"] = MergeLevel(path + ".", declarers.Select(d => new Level(d.Part, (JObject)d.Schema["properties"]!)).ToList(), owned, parts, conflicts, problems);
        var additional = declarers.Where(d => d.Schema["additionalProperties"] is not null and not JValue { Type: JTokenType.Boolean, Value: true }).ToList();
        if (additional.Any(d => d.Schema["additionalProperties"] is JValue { Type: JTokenType.Boolean }))
        {
            merged["additionalProperties"] = false;
        }
        else if (additional.Count > 0)
        {
            merged["additionalProperties"] = additional[0].Schema["additionalProperties"]!.DeepClone();
            foreach (var other in additional.Skip(1).Where(o => !JToken.DeepEquals(o.Schema["additionalProperties"], additional[0].Schema["additionalProperties"])))
            {
                problems.Add($"the container '{path}' has 'additionalProperties' declared differently by {parts[additional[0].Part].Owner} and {parts[other.Part].Owner}");
            }
        }

        var required = new List<string>();
        foreach (var (_, schema) in declarers)
        {
            AddRequired(required, schema["required"]);
        }

        if (required.Count > 0)
        {
            merged["required"] = new JArray(required);
        }

        return merged;
    }

    private static void AddRequired(List<string> into, JToken? required)
    {
        if (required is not JArray names)
        {
            return;
        }

        foreach (var name in names.Values<string>().OfType<string>())
        {
            if (!into.Contains(name, StringComparer.Ordinal))
            {
                into.Add(name);
            }
        }
    }

    private sealed record Level(int Part, JObject Properties);
}

/// <summary>A composed object schema and the parts it was composed from.</summary>
public sealed class ComposedSchema
{
    internal ComposedSchema(JObject schema, IReadOnlyList<ComposedPart> parts)
    {
        Schema = schema;
        Parts = parts;
    }

    /// <summary>The composed object schema.</summary>
    public JObject Schema { get; }

    /// <summary>The parts, in the order given.</summary>
    public IReadOnlyList<ComposedPart> Parts { get; }
}

/// <summary>One part of a <see cref="ComposedSchema"/>: its schema as composed, and the keys it owns.</summary>
public sealed class ComposedPart
{
    private readonly KeyOwnership owned;

    internal ComposedPart(string owner, JObject schema, IReadOnlyList<string> definitionNames, KeyOwnership owned)
    {
        Owner = owner;
        Schema = schema;
        DefinitionNames = definitionNames;
        this.owned = owned;
    }

    /// <summary>Who contributed it.</summary>
    public string Owner { get; }

    /// <summary>
    /// The part's schema on its own: its <c>$ref</c>s rewritten to the composed definition names, with
    /// its own definitions under <c>definitions</c>. It validates what <see cref="Filter"/> returns.
    /// </summary>
    public JObject Schema { get; }

    /// <summary>The names of the part's definitions in the composed schema.</summary>
    public IReadOnlyList<string> DefinitionNames { get; }

    /// <summary>
    /// The keys of <paramref name="document"/> this part owns: its own top-level keys whole, and inside a
    /// container only the properties it declared there (a container holding none of them is left out).
    /// </summary>
    /// <param name="document">A payload or config object.</param>
    /// <returns>A new object.</returns>
    public JObject Filter(JObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return owned.Filter(document);
    }
}

/// <summary>The keys one part owns at one level: <see langword="null"/> for a key it owns whole, or what it owns inside a container.</summary>
internal sealed class KeyOwnership
{
    public Dictionary<string, KeyOwnership?> Keys { get; } = new(StringComparer.Ordinal);

    public JObject Filter(JObject document)
    {
        var result = new JObject();
        foreach (var (key, inner) in Keys)
        {
            if (!document.TryGetValue(key, StringComparison.Ordinal, out var value))
            {
                continue;
            }

            if (inner is null)
            {
                result[key] = value.DeepClone();
            }
            else if (value is JObject container && inner.Filter(container) is { Count: > 0 } own)
            {
                result[key] = own;
            }
        }

        return result;
    }
}

/// <summary>Schemas that cannot be composed: every problem found, each naming where and whom it is about.</summary>
public class SchemaCompositionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">One message per problem.</param>
    public SchemaCompositionException(IReadOnlyList<string> problems)
        : this("The schemas cannot be composed: " + string.Join("; ", problems), problems)
    {
    }

    /// <summary>Creates the exception with a message of its own.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problems">One message per problem.</param>
    protected SchemaCompositionException(string message, IReadOnlyList<string> problems)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(problems);
        Problems = problems;
    }

    /// <summary>One message per problem.</summary>
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>Two parts of a composed schema claim the same key (nothing else is wrong).</summary>
public sealed class SchemaConflictException : SchemaCompositionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="conflicts">One message per conflicting key.</param>
    public SchemaConflictException(IReadOnlyList<string> conflicts)
        : base("The schemas conflict: " + string.Join("; ", conflicts), conflicts)
    {
    }

    /// <summary>One message per conflicting key.</summary>
    public IReadOnlyList<string> Conflicts => Problems;
}
