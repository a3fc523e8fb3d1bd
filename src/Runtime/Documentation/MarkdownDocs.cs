using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Runtime.Documentation;

/// <summary>
/// Renders Markdown for task authors from a worker's engines and plugins: each component's
/// documentation sections, the payload keys it owns property by property (type, required,
/// description, allowed values, default), its worker config keys, and an example payload derived
/// from the composed payload schema. With several engines, each engine's section lists the keys and
/// gives the example of its branch. <c>tc-worker docs</c> uses it; custom worker binaries may too.
/// </summary>
public static class MarkdownDocs
{
    private const int MaxDepth = 4;

    /// <summary>
    /// Renders the documentation of a worker's engines and enabled plugins. Throws
    /// <see cref="Schemas.SchemaCompositionException"/> when their payload schemas do not compose.
    /// </summary>
    /// <param name="components">The created engines and plugins (see <see cref="Hosting.WorkerComponents"/>).</param>
    /// <param name="registry">When given, each component's worker config schema is documented too.</param>
    /// <returns>A Markdown document.</returns>
    public static string Render(TaskRunComponents components, ComponentRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var payload = components.PayloadSchema;
        var branches = payload.Branches;
        var text = new StringBuilder();
        if (branches.Count == 1)
        {
            var branch = branches[0];
            text.Append("# Task payload: engine `").Append(branch.EngineName).Append("`\n\n");
            text.Append("This worker runs tasks with the `").Append(branch.EngineName).Append("` engine");
            if (components.Plugins.Count > 0)
            {
                text.Append(" and the plugins ").Append(string.Join(", ", components.Plugins.Select(p => "`" + p.Name + "`")));
            }

            text.Append(". A task's `payload` may hold the keys below, and no others.\n\n");
        }
        else
        {
            text.Append("# Task payload: engines ").Append(string.Join(", ", branches.Select(b => "`" + b.EngineName + "`"))).Append("\n\n");
            text.Append("This worker runs tasks with several engines: ")
                .Append(string.Join(", ", branches.Select(b => $"`{b.EngineName}` ({b.Dialect} payload)")));
            if (components.Plugins.Count > 0)
            {
                text.Append(", and the plugins ").Append(string.Join(", ", components.Plugins.Select(p => "`" + p.Name + "`")));
            }

            text.Append(". Each engine has its own form of `payload`, listed in its section with an example: a task runs on ")
                .Append("the engine whose form its payload matches, and must match exactly one. Only the plugins of that engine's ")
                .Append("form take part in the task.\n\n");
        }

        foreach (var branch in branches)
        {
            var heading = branches.Count == 1 ? $"Engine `{branch.EngineName}`" : $"Engine `{branch.EngineName}` ({branch.Dialect} payload)";
            var engine = branch.Engine.Engine;
            Component(text, heading, engine.Documentation, [(string.Empty, branch.EnginePart.Schema)], ConfigSchema(registry, branch.EngineName, engine: true));
            if (branches.Count > 1)
            {
                text.Append("### Plugins with this engine\n\n");
                text.Append(branch.Plugins.Count == 0 ? "None." : string.Join(", ", branch.Plugins.Select(p => "`" + p.Name + "`")) + ".");
                var absent = components.Plugins.Where(p => branch.Plugins.All(b => b.Name != p.Name)).ToList();
                if (absent.Count > 0)
                {
                    text.Append(" Not with this engine: ").Append(string.Join(", ", absent.Select(p => "`" + p.Name + "`"))).Append('.');
                }

                text.Append("\n\n");
                ExampleSection(text, "###", branch.Schema);
            }
        }

        foreach (var plugin in components.Plugins)
        {
            var tables = PluginTables(plugin.Name, branches);
            Component(text, $"Plugin `{plugin.Name}`", plugin.Plugin.Documentation, tables, ConfigSchema(registry, plugin.Name, engine: false));
        }

        if (branches.Count == 1)
        {
            ExampleSection(text, "##", payload.Schema);
        }

        return text.ToString();
    }

    /// <summary>Builds an example document from a JSON schema: its examples, defaults, first enum values, or typed placeholders.</summary>
    /// <param name="schema">A JSON schema; its local <c>$ref</c>s into <c>definitions</c> are followed.</param>
    /// <returns>An example value.</returns>
    public static JToken Example(JObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Example(schema, schema, 0);
    }

    private static void ExampleSection(StringBuilder text, string level, JObject schema)
    {
        text.Append(level).Append(" Example payload\n\n");
        text.Append("Derived from the schema (examples, defaults, the first allowed value, or a placeholder of the right type):\n\n");
        text.Append("```json\n").Append(Example(schema, schema, 0).ToString(Formatting.Indented)).Append("\n```\n");
        if (level == "###")
        {
            text.Append('\n');
        }
    }

    private static JObject? ConfigSchema(ComponentRegistry? registry, string name, bool engine)
    {
        if (registry is null)
        {
            return null;
        }

        if (engine)
        {
            return registry.TryGetEngine(name, out var engineProvider, out _) ? engineProvider!.ConfigSchema : null;
        }

        return registry.TryGetPlugin(name, out var pluginProvider, out _) ? pluginProvider!.ConfigSchema : null;
    }

    /// <summary>
    /// A plugin's payload keys: one table when its schema is the same with every engine it takes part in,
    /// else one per engine; a note for the engines it takes no part in.
    /// </summary>
    private static List<(string Title, JObject? Schema)> PluginTables(string name, IReadOnlyList<EngineBranch> branches)
    {
        var own = branches.Select(b => (Branch: b, Part: b.Plugins.FirstOrDefault(p => p.Name == name))).ToList();
        var taking = own.Where(o => o.Part is not null).ToList();
        var tables = new List<(string Title, JObject? Schema)>();
        if (taking.Count > 0 && taking.All(t => JToken.DeepEquals(t.Part!.Schema, taking[0].Part!.Schema)))
        {
            var with = taking.Count == branches.Count || branches.Count == 1 ? string.Empty : " (engines " + string.Join(", ", taking.Select(t => "`" + t.Branch.EngineName + "`")) + ")";
            tables.Add((with, taking[0].Part!.Schema));
        }
        else
        {
            tables.AddRange(taking.Select(t => ($" (engine `{t.Branch.EngineName}`)", (JObject?)t.Part!.Schema)));
        }

        tables.AddRange(own.Where(o => o.Part is null).Select(o => ($" (engine `{o.Branch.EngineName}`)", (JObject?)null)));
        return tables;
    }

    private static void Component(StringBuilder text, string heading, IReadOnlyList<DocSection> sections, IReadOnlyList<(string Title, JObject? Schema)> payloadTables, JObject? configSchema)
    {
        text.Append("## ").Append(heading).Append("\n\n");
        foreach (var section in sections)
        {
            text.Append("### ").Append(section.Title).Append("\n\n").Append(section.Content.Trim()).Append("\n\n");
        }

        foreach (var (title, schema) in payloadTables)
        {
            text.Append("### Payload keys").Append(title).Append("\n\n");
            if (schema is null)
            {
                text.Append("(the component takes no part in this engine's tasks)\n\n");
            }
            else
            {
                Properties(text, schema, "the component adds no payload keys");
            }
        }

        if (configSchema is not null)
        {
            text.Append("### Worker config keys\n\n");
            Properties(text, configSchema, "no config keys");
        }
    }

    private static void Properties(StringBuilder text, JObject schema, string none)
    {
        var rows = new List<string>();
        Rows(rows, schema, schema, prefix: string.Empty, depth: 0);
        if (rows.Count == 0)
        {
            text.Append('(').Append(none).Append(")\n\n");
            return;
        }

        text.Append("| property | type | required | description | allowed / default |\n|---|---|---|---|---|\n");
        foreach (var row in rows)
        {
            text.Append(row).Append('\n');
        }

        text.Append('\n');
    }

    private static void Rows(List<string> rows, JObject root, JObject schema, string prefix, int depth)
    {
        schema = Resolve(root, schema);
        if (depth > MaxDepth || schema["properties"] is not JObject properties)
        {
            return;
        }

        var required = (schema["required"] as JArray)?.Values<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var property in properties.Properties())
        {
            if (property.Value is not JObject written)
            {
                continue;
            }

            var child = Resolve(root, written);
            var name = prefix + property.Name;
            rows.Add(string.Join(" | ", [
                "| `" + name + "`",
                Cell(TypeOf(root, child)),
                required.Contains(property.Name) ? "yes" : "no",
                Cell(child.Value<string>("description") ?? child.Value<string>("title") ?? string.Empty),
                Cell(Allowed(child)) + " |",
            ]));
            Rows(rows, root, child, name + ".", depth + 1);
            if (child["items"] is JObject items)
            {
                Rows(rows, root, items, name + "[].", depth + 1);
            }
        }
    }

    private static string TypeOf(JObject root, JObject schema)
    {
        schema = Resolve(root, schema);
        var type = schema["type"] switch
        {
            JArray types => string.Join(" or ", types.Values<string>()),
            JValue value => value.ToString(CultureInfo.InvariantCulture),
            _ => schema["enum"] is not null ? "enum" : schema["oneOf"] is not null || schema["anyOf"] is not null ? "one of several" : "any",
        };
        if (type == "array" && schema["items"] is JObject items)
        {
            type = "array of " + TypeOf(root, items);
        }

        return type;
    }

    private static string Allowed(JObject schema)
    {
        var parts = new List<string>();
        if (schema["enum"] is JArray values)
        {
            parts.Add("one of " + string.Join(", ", values.Select(v => "`" + v.ToString(Formatting.None) + "`")));
        }

        foreach (var (key, label) in new[] { ("minimum", "min"), ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"), ("minLength", "min length"), ("maxLength", "max length"), ("pattern", "pattern") })
        {
            if (schema[key] is JValue limit)
            {
                parts.Add(label + " `" + limit.ToString(Formatting.None).Trim('"') + "`");
            }
        }

        if (schema["default"] is { } value)
        {
            parts.Add("default `" + value.ToString(Formatting.None) + "`");
        }

        return string.Join("; ", parts);
    }

    private static string Cell(string value) => value.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static JToken Example(JObject root, JObject schema, int depth)
    {
        schema = Resolve(root, schema);
        if (schema["examples"] is JArray { Count: > 0 } examples)
        {
            return examples[0].DeepClone();
        }

        if (schema["default"] is { } value)
        {
            return value.DeepClone();
        }

        if (schema["enum"] is JArray { Count: > 0 } values)
        {
            return values[0].DeepClone();
        }

        if ((schema["oneOf"] ?? schema["anyOf"]) is JArray { Count: > 0 } choices && choices[0] is JObject first)
        {
            return Example(root, first, depth);
        }

        var type = schema["type"] switch
        {
            JArray types => types.Values<string>().FirstOrDefault(t => t != "null"),
            JValue single => single.Value<string>(),
            _ => schema["properties"] is not null ? "object" : null,
        };
        return type switch
        {
            "object" => ExampleObject(root, schema, depth),
            "array" => depth < MaxDepth && schema["items"] is JObject items ? new JArray(Example(root, items, depth + 1)) : new JArray(),
            "string" => schema.Value<string>("format") switch
            {
                "date-time" => "2026-01-01T00:00:00Z",
                "uri" => "https://example.com/",
                _ => "...",
            },
            "integer" => schema["minimum"] is JValue min ? (long)Math.Ceiling(min.Value<double>()) : 0L,
            "number" => schema["minimum"] is JValue min ? min.Value<double>() : 0.0,
            "boolean" => false,
            _ => JValue.CreateNull(),
        };
    }

    private static JObject ExampleObject(JObject root, JObject schema, int depth)
    {
        var result = new JObject();
        if (depth >= MaxDepth || schema["properties"] is not JObject properties)
        {
            return result;
        }

        foreach (var property in properties.Properties())
        {
            // A container no component adds to (the runtime's features, say) can only be empty: not worth showing.
            if (property.Value is JObject child && !IsEmptyContainer(Resolve(root, child)))
            {
                result[property.Name] = Example(root, child, depth + 1);
            }
        }

        return result;
    }

    private static bool IsEmptyContainer(JObject schema) =>
        schema["properties"] is JObject { Count: 0 } && schema["additionalProperties"] is JValue { Type: JTokenType.Boolean, Value: false };

    /// <summary>
    /// Follows a local reference (<c>#/definitions/name</c>, possibly deeper) to what it points at in
    /// <paramref name="root"/>, keeping the referring schema's description; a schema without one, or a
    /// reference that leads nowhere, is returned as it is.
    /// </summary>
    private static JObject Resolve(JObject root, JObject schema)
    {
        for (var hops = 0; hops < 8 && schema["$ref"] is JValue { Type: JTokenType.String } reference; hops++)
        {
            var path = ((string)reference!).TrimStart('#');
            if (path.Length == 0 || root.SelectToken(ToSelectPath(path), errorWhenNoMatch: false) is not JObject target)
            {
                return schema;
            }

            if (schema["description"] is { } description && target["description"] is null)
            {
                target = (JObject)target.DeepClone();
                target["description"] = description.DeepClone();
            }

            schema = target;
        }

        return schema;
    }

    /// <summary>A JSON pointer (<c>/definitions/a.b/properties/c</c>) as a Json.NET path (<c>['definitions']['a.b']['properties']['c']</c>).</summary>
    private static string ToSelectPath(string pointer) =>
        string.Concat(pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(segment =>
        {
            var name = Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            return "['" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "']";
        }));
}
