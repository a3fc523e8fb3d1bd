using System.Text;
using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Schemas;

/// <summary>
/// The definitions of a composed schema, gathered from its parts. Each part's <c>definitions</c> and
/// <c>$defs</c> get names of their own, <c>&lt;owner&gt;.&lt;name&gt;</c> (<c>plugin-env.variable</c>), and the
/// part's local <c>$ref</c>s are rewritten to them, so two parts may use the same definition name. A
/// part imported again with the same definitions (a plugin in two engine branches) shares them; with
/// different ones, it gets the next free prefix (<c>plugin-env@2.variable</c>). Not thread-safe.
/// </summary>
internal sealed class SchemaDefinitions
{
    private const string Pointer = "#/definitions/";

    /// <summary>Keywords whose values are data, not schemas: a <c>$ref</c> key inside them is not a reference.</summary>
    private static readonly HashSet<string> DataKeywords = new(StringComparer.Ordinal) { "enum", "const", "default", "examples" };

    private readonly Dictionary<string, JObject> byName = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    /// <summary>
    /// Takes a part's definitions in and returns its schema with <c>$ref</c>s rewritten and its own
    /// definitions (under their new names) in <c>definitions</c>. A reference that cannot be kept (not
    /// local, or pointing outside the part's definitions) is added to <paramref name="problems"/>.
    /// </summary>
    public (JObject Schema, IReadOnlyList<string> DefinitionNames) Import(SchemaPart part, List<string> problems)
    {
        var local = new Dictionary<(string Keyword, string Name), JObject>();
        foreach (var keyword in new[] { "definitions", "$defs" })
        {
            if (part.Schema[keyword] is null)
            {
                continue;
            }

            if (part.Schema[keyword] is not JObject definitions)
            {
                problems.Add($"{part.Owner}: '{keyword}' must be an object of schemas");
                continue;
            }

            foreach (var (name, body) in definitions)
            {
                if (body is JObject definition)
                {
                    local[(keyword, name)] = definition;
                }
                else
                {
                    problems.Add($"{part.Owner}: the definition '{keyword}/{name}' is not a schema object");
                }
            }
        }

        foreach (var twice in local.Keys.GroupBy(k => k.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList())
        {
            problems.Add($"{part.Owner}: the definition '{twice.Key}' is given both in 'definitions' and in '$defs'");
            local.Remove(("$defs", twice.Key));
        }

        var renames = Register(Slug(part.Owner), local);
        string? Map(string reference) => MapReference(reference, renames);
        var unresolved = new List<string>();
        var schema = (JObject)Rewrite(part.Schema, Map, unresolved, skipDefinitions: true);
        schema.Remove("definitions");
        schema.Remove("$defs");
        schema.Remove("$id");
        var names = renames.Values.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count > 0)
        {
            schema["definitions"] = new JObject(names.Select(n => new JProperty(n, byName[n].DeepClone())));
        }

        // The definitions' own references were checked when they were registered; report each bad one once.
        foreach (var body in local.Values)
        {
            Rewrite(body, Map, unresolved, skipDefinitions: false);
        }

        foreach (var reference in unresolved.Distinct(StringComparer.Ordinal))
        {
            problems.Add(reference.StartsWith("#/definitions/", StringComparison.Ordinal) || reference.StartsWith("#/$defs/", StringComparison.Ordinal)
                ? $"{part.Owner}: the $ref '{reference}' names no definition of the component"
                : $"{part.Owner}: the $ref '{reference}' cannot be kept; only references into the component's own definitions (#/definitions/NAME or #/$defs/NAME) are supported");
        }

        return (schema, names);
    }

    /// <summary>Adds the named definitions (each once, in the order they were registered) to <paramref name="schema"/>, when there are any.</summary>
    public void AddTo(JObject schema, IEnumerable<string> names)
    {
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var definitions = new JObject(order.Where(wanted.Contains).Select(n => new JProperty(n, byName[n].DeepClone())));
        if (definitions.Count > 0)
        {
            schema["definitions"] = definitions;
        }
    }

    /// <summary>Picks a prefix under which every definition of the part is new or already there unchanged, and stores them.</summary>
    private Dictionary<(string Keyword, string Name), string> Register(string slug, Dictionary<(string Keyword, string Name), JObject> local)
    {
        for (var attempt = 1; ; attempt++)
        {
            var prefix = attempt == 1 ? slug : $"{slug}@{attempt}";
            var renames = local.Keys.ToDictionary(k => k, k => $"{prefix}.{k.Name}");
            var bodies = local.ToDictionary(l => renames[l.Key], l => (JObject)Rewrite(l.Value, r => MapReference(r, renames), [], skipDefinitions: false), StringComparer.Ordinal);
            if (bodies.All(b => !byName.TryGetValue(b.Key, out var existing) || JToken.DeepEquals(existing, b.Value)))
            {
                foreach (var (name, body) in bodies.Where(b => !byName.ContainsKey(b.Key)))
                {
                    byName[name] = body;
                    order.Add(name);
                }

                return renames;
            }
        }
    }

    /// <summary>
    /// Maps a local reference into the part's definitions to the composed name; anything deeper in the
    /// definition is kept (<c>#/definitions/a/properties/b</c>). Null for a reference that cannot be kept.
    /// </summary>
    private static string? MapReference(string reference, Dictionary<(string Keyword, string Name), string> renames)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var segments = reference[2..].Split('/');
        if (segments.Length < 2 || segments[0] is not ("definitions" or "$defs"))
        {
            return null;
        }

        var name = UnescapeSegment(segments[1]);
        if (!renames.TryGetValue((segments[0], name), out var renamed))
        {
            return null;
        }

        return Pointer + EscapeSegment(renamed) + string.Concat(segments.Skip(2).Select(s => "/" + s));
    }

    /// <summary>A copy of <paramref name="node"/> with every <c>$ref</c> mapped; the ones that cannot be mapped are kept as they are and listed.</summary>
    private static JToken Rewrite(JToken node, Func<string, string?> map, List<string> unresolved, bool skipDefinitions)
    {
        switch (node)
        {
            case JObject schema:
                var copy = new JObject();
                foreach (var (key, value) in schema)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    if (key == "$ref" && value.Type == JTokenType.String)
                    {
                        var reference = value.Value<string>()!;
                        var mapped = map(reference);
                        if (mapped is null)
                        {
                            unresolved.Add(reference);
                        }

                        copy[key] = mapped ?? reference;
                    }
                    else if (DataKeywords.Contains(key) || (skipDefinitions && key is "definitions" or "$defs"))
                    {
                        copy[key] = value.DeepClone();
                    }
                    else
                    {
                        copy[key] = Rewrite(value, map, unresolved, skipDefinitions: false);
                    }
                }

                return copy;
            case JArray array:
                return new JArray(array.Select(item => Rewrite(item, map, unresolved, skipDefinitions: false)));
            default:
                return node.DeepClone();
        }
    }

    /// <summary>A JSON pointer segment as written in a URI fragment: percent-decoded, then <c>~1</c> and <c>~0</c> undone.</summary>
    private static string UnescapeSegment(string segment) =>
        Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static string EscapeSegment(string name) =>
        Uri.EscapeDataString(name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)).Replace("%40", "@", StringComparison.Ordinal);

    /// <summary><c>plugin 'env'</c> becomes <c>plugin-env</c>.</summary>
    private static string Slug(string owner)
    {
        var text = new StringBuilder();
        foreach (var c in owner.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                text.Append(c);
            }
            else if (text.Length > 0 && text[^1] != '-')
            {
                text.Append('-');
            }
        }

        var slug = text.ToString().Trim('-');
        return slug.Length > 0 ? slug : "part";
    }
}
