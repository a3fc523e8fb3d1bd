using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Runtime.Documentation;

/// <summary>
/// Renders Markdown for task authors from a worker's engine and plugins: each component's
/// documentation sections, the payload keys it owns property by property (type, required,
/// description, allowed values, default), its worker config keys, and an example payload derived
/// from the composed payload schema. <c>tc-worker docs</c> uses it; custom worker binaries may too.
/// </summary>
public static class MarkdownDocs
{
    private const int MaxDepth = 4;

    /// <summary>Renders the documentation of a worker's engine and enabled plugins.</summary>
    /// <param name="components">The created engine and plugins (see <see cref="Hosting.WorkerComponents"/>).</param>
    /// <param name="registry">When given, each component's worker config schema is documented too.</param>
    /// <returns>A Markdown document.</returns>
    public static string Render(TaskRunComponents components, ComponentRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var payload = TaskPayloadSchema.Compose(components).Schema;
        var text = new StringBuilder();
        text.Append("# Task payload: engine `").Append(components.EngineName).Append("`\n\n");
        text.Append("This worker runs tasks with the `").Append(components.EngineName).Append("` engine");
        if (components.Plugins.Count > 0)
        {
            text.Append(" and the plugins ").Append(string.Join(", ", components.Plugins.Select(p => "`" + p.Name + "`")));
        }

        text.Append(". A task's `payload` may hold the keys below, and no others.\n\n");

        JObject? engineConfig = null;
        if (registry is not null && registry.TryGetEngine(components.EngineName, out var engineProvider, out _))
        {
            engineConfig = engineProvider!.ConfigSchema;
        }

        Component(text, $"Engine `{components.EngineName}`", components.Engine.Documentation, components.Engine.PayloadSchema, engineConfig);
        foreach (var plugin in components.Plugins)
        {
            JObject? pluginConfig = null;
            if (registry is not null && registry.TryGetPlugin(plugin.Name, out var pluginProvider, out _))
            {
                pluginConfig = pluginProvider!.ConfigSchema;
            }

            Component(text, $"Plugin `{plugin.Name}`", plugin.Plugin.Documentation, plugin.Plugin.PayloadSchema, pluginConfig);
        }

        text.Append("## Example payload\n\n");
        text.Append("Derived from the schema (examples, defaults, the first allowed value, or a placeholder of the right type):\n\n");
        text.Append("```json\n").Append(Example(payload, 0).ToString(Formatting.Indented)).Append("\n```\n");
        return text.ToString();
    }

    /// <summary>Builds an example document from a JSON schema: its examples, defaults, first enum values, or typed placeholders.</summary>
    /// <param name="schema">A JSON schema.</param>
    /// <returns>An example value.</returns>
    public static JToken Example(JObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Example(schema, 0);
    }

    private static void Component(StringBuilder text, string heading, IReadOnlyList<DocSection> sections, JObject payloadSchema, JObject? configSchema)
    {
        text.Append("## ").Append(heading).Append("\n\n");
        foreach (var section in sections)
        {
            text.Append("### ").Append(section.Title).Append("\n\n").Append(section.Content.Trim()).Append("\n\n");
        }

        text.Append("### Payload keys\n\n");
        Properties(text, payloadSchema, "the component adds no payload keys");
        if (configSchema is not null)
        {
            text.Append("### Worker config keys\n\n");
            Properties(text, configSchema, "no config keys");
        }
    }

    private static void Properties(StringBuilder text, JObject schema, string none)
    {
        var rows = new List<string>();
        Rows(rows, schema, prefix: string.Empty, depth: 0);
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

    private static void Rows(List<string> rows, JObject schema, string prefix, int depth)
    {
        if (depth > MaxDepth || schema["properties"] is not JObject properties)
        {
            return;
        }

        var required = (schema["required"] as JArray)?.Values<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var property in properties.Properties())
        {
            if (property.Value is not JObject child)
            {
                continue;
            }

            var name = prefix + property.Name;
            rows.Add(string.Join(" | ", [
                "| `" + name + "`",
                Cell(TypeOf(child)),
                required.Contains(property.Name) ? "yes" : "no",
                Cell(child.Value<string>("description") ?? child.Value<string>("title") ?? string.Empty),
                Cell(Allowed(child)) + " |",
            ]));
            Rows(rows, child, name + ".", depth + 1);
            if (child["items"] is JObject items)
            {
                Rows(rows, items, name + "[].", depth + 1);
            }
        }
    }

    private static string TypeOf(JObject schema)
    {
        var type = schema["type"] switch
        {
            JArray types => string.Join(" or ", types.Values<string>()),
            JValue value => value.ToString(CultureInfo.InvariantCulture),
            _ => schema["enum"] is not null ? "enum" : schema["oneOf"] is not null || schema["anyOf"] is not null ? "one of several" : "any",
        };
        if (type == "array" && schema["items"] is JObject items)
        {
            type = "array of " + TypeOf(items);
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

    private static JToken Example(JObject schema, int depth)
    {
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
            return Example(first, depth);
        }

        var type = schema["type"] switch
        {
            JArray types => types.Values<string>().FirstOrDefault(t => t != "null"),
            JValue single => single.Value<string>(),
            _ => schema["properties"] is not null ? "object" : null,
        };
        return type switch
        {
            "object" => ExampleObject(schema, depth),
            "array" => depth < MaxDepth && schema["items"] is JObject items ? new JArray(Example(items, depth + 1)) : new JArray(),
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

    private static JObject ExampleObject(JObject schema, int depth)
    {
        var result = new JObject();
        if (depth >= MaxDepth || schema["properties"] is not JObject properties)
        {
            return result;
        }

        foreach (var property in properties.Properties())
        {
            if (property.Value is JObject child)
            {
                result[property.Name] = Example(child, depth + 1);
            }
        }

        return result;
    }
}
