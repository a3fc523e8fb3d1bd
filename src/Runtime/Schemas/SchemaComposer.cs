using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Schemas;

/// <summary>One contributor to a composed object schema: an engine or a plugin and the keys it owns.</summary>
/// <param name="Owner">Who contributes, e.g. <c>plugin 'env'</c>.</param>
/// <param name="Schema">An object schema whose <c>properties</c> and <c>required</c> are merged.</param>
public sealed record SchemaPart(string Owner, JObject Schema);

/// <summary>
/// Composes object schemas from parts that each own some top-level keys, as taskcluster-worker
/// merged the engine's and plugins' payload schemas. A key owned by two parts is a conflict.
/// </summary>
public static class SchemaComposer
{
    /// <summary>
    /// Merges the parts into one object schema that allows no other keys. Throws
    /// <see cref="SchemaConflictException"/> naming every key claimed twice and by whom.
    /// </summary>
    /// <param name="title">The composed schema's title.</param>
    /// <param name="parts">The parts, in order.</param>
    /// <returns>The composed schema.</returns>
    public static JObject ComposeObject(string title, IEnumerable<SchemaPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var properties = new JObject();
        var required = new SortedSet<string>(StringComparer.Ordinal);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        foreach (var part in parts)
        {
            if (part.Schema["properties"] is JObject partProperties)
            {
                foreach (var property in partProperties.Properties())
                {
                    if (owners.TryGetValue(property.Name, out var owner))
                    {
                        conflicts.Add($"the key '{property.Name}' is claimed by both {owner} and {part.Owner}");
                        continue;
                    }

                    owners[property.Name] = part.Owner;
                    properties[property.Name] = property.Value.DeepClone();
                }
            }

            if (part.Schema["required"] is JArray partRequired)
            {
                required.UnionWith(partRequired.Values<string>().OfType<string>());
            }
        }

        if (conflicts.Count > 0)
        {
            throw new SchemaConflictException(conflicts);
        }

        var composed = new JObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = title,
            ["type"] = "object",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        if (required.Count > 0)
        {
            composed["required"] = new JArray(required);
        }

        return composed;
    }

    /// <summary>Returns the keys of <paramref name="document"/> that <paramref name="schema"/> declares in its <c>properties</c>.</summary>
    /// <param name="document">A payload or config object.</param>
    /// <param name="schema">An object schema.</param>
    /// <returns>A new object with only those keys.</returns>
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
}

/// <summary>Two parts of a composed schema claim the same key.</summary>
public sealed class SchemaConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="conflicts">One message per conflicting key.</param>
    public SchemaConflictException(IReadOnlyList<string> conflicts)
        : base("The schemas conflict: " + string.Join("; ", conflicts))
    {
        Conflicts = conflicts;
    }

    /// <summary>One message per conflicting key.</summary>
    public IReadOnlyList<string> Conflicts { get; }
}
