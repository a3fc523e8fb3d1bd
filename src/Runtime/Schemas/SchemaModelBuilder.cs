using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace TcWorker.Runtime.Schemas;

/// <summary>
/// Builds NJsonSchema's object model straight from a <see cref="JObject"/> for the common keywords,
/// without the library's JSON parser, whose first use costs a worker most of its start-up in
/// reflection and code generation. A schema using any keyword this builder does not know (references
/// other than <c>#/definitions/name</c>, <c>const</c>, conditionals, tuple items, ...) is left to the library's parser: <see cref="TryBuild"/>
/// returns <see langword="null"/>, so the result never validates differently from the parser's.
/// </summary>
internal sealed class SchemaModelBuilder
{
    private const string DefinitionsPointer = "#/definitions/";

    /// <summary>Keywords that only annotate a schema, never change what validates, and are not kept on the model.</summary>
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$comment", "examples", "readOnly", "writeOnly",
    };

    /// <summary>The root's definitions, by name: the targets of <c>#/definitions/name</c> references.</summary>
    private readonly Dictionary<string, JsonSchema> definitions = new(StringComparer.Ordinal);

    private SchemaModelBuilder()
    {
    }

    /// <summary>
    /// Builds the model, or returns <see langword="null"/> when the schema uses a keyword this builder leaves to the parser.
    /// References are built only in their simplest form: <c>definitions</c> at the root, and a <c>$ref</c> of the form
    /// <c>#/definitions/name</c> with nothing beside it but a title or description.
    /// </summary>
    /// <param name="schema">The schema.</param>
    /// <returns>The model, or <see langword="null"/>.</returns>
    public static JsonSchema? TryBuild(JObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var builder = new SchemaModelBuilder();
        var model = new JsonSchema();
        if (schema["definitions"] is { } definitions)
        {
            if (definitions is not JObject named || named.Properties().Any(p => p.Value is not JObject))
            {
                return null;
            }

            // Every target exists before any reference to it is built, so definitions may refer to each other.
            foreach (var property in named.Properties())
            {
                builder.definitions[property.Name] = new JsonSchema();
            }

            foreach (var property in named.Properties())
            {
                var definition = builder.definitions[property.Name];
                if (!builder.Fill(definition, (JObject)property.Value))
                {
                    return null;
                }

                model.Definitions[property.Name] = definition;
            }

            if (builder.definitions.Values.Any(ReferencesItself))
            {
                return null;
            }
        }

        return builder.Fill(model, schema, root: true) ? model : null;
    }

    /// <summary>A chain of references that comes back to where it started has no schema at its end; the parser reports it.</summary>
    private static bool ReferencesItself(JsonSchema definition)
    {
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        for (var current = definition; current.Reference is { } next; current = next)
        {
            if (!seen.Add(current))
            {
                return true;
            }
        }

        return false;
    }

    private bool Fill(JsonSchema model, JObject schema, bool root = false)
    {
        if (schema["$ref"] is not null && schema.Properties().Any(p => p.Name is not ("$ref" or "title" or "description" or "$comment")))
        {
            return false;
        }

        foreach (var (keyword, value) in schema)
        {
            if (root && keyword == "definitions")
            {
                continue;
            }

            if (value is null || !Apply(model, keyword, value))
            {
                return false;
            }
        }

        return true;
    }

    private bool Apply(JsonSchema model, string keyword, JToken value)
    {
        switch (keyword)
        {
            case "title":
                return SetString(value, s => model.Title = s);
            case "description":
                return SetString(value, s => model.Description = s);
            case "default":
                model.Default = Plain(value);
                return true;
            case "type":
                return SetType(model, value);
            case "properties":
                return value is JObject properties && SetProperties(model, properties);
            case "required":
                return SetRequired(model, value);
            case "additionalProperties":
                return SetAdditionalProperties(model, value);
            case "items":
                return value is JObject items && Sub(items, s => model.Item = s);
            case "enum":
                return SetEnum(model, value);
            case "minimum":
                return SetDecimal(value, d => model.Minimum = d);
            case "maximum":
                return SetDecimal(value, d => model.Maximum = d);
            case "exclusiveMinimum":
                return value.Type == JTokenType.Boolean ? Set(() => model.IsExclusiveMinimum = value.Value<bool>()) : SetDecimal(value, d => model.ExclusiveMinimum = d);
            case "exclusiveMaximum":
                return value.Type == JTokenType.Boolean ? Set(() => model.IsExclusiveMaximum = value.Value<bool>()) : SetDecimal(value, d => model.ExclusiveMaximum = d);
            case "minLength":
                return SetInt(value, i => model.MinLength = i);
            case "maxLength":
                return SetInt(value, i => model.MaxLength = i);
            case "minItems":
                return SetInt(value, i => model.MinItems = i);
            case "maxItems":
                return SetInt(value, i => model.MaxItems = i);
            case "minProperties":
                return SetInt(value, i => model.MinProperties = i);
            case "maxProperties":
                return SetInt(value, i => model.MaxProperties = i);
            case "uniqueItems":
                return value.Type == JTokenType.Boolean && Set(() => model.UniqueItems = value.Value<bool>());
            case "pattern":
                return SetString(value, s => model.Pattern = s);
            case "format":
                return SetString(value, s => model.Format = s);
            case "anyOf":
                return AddAll(value, model.AnyOf);
            case "oneOf":
                return AddAll(value, model.OneOf);
            case "allOf":
                return AddAll(value, model.AllOf);
            case "not":
                return value is JObject not && Sub(not, s => model.Not = s);
            case "$ref":
                return SetReference(model, value);
            default:
                return Annotations.Contains(keyword);
        }
    }

    private static bool Set(Action set)
    {
        set();
        return true;
    }

    private static bool SetString(JToken value, Action<string> set) => value.Type == JTokenType.String && Set(() => set(value.Value<string>()!));

    private static bool SetInt(JToken value, Action<int> set) => value.Type == JTokenType.Integer && value.Value<long>() is >= 0 and <= int.MaxValue && Set(() => set(value.Value<int>()));

    private static bool SetDecimal(JToken value, Action<decimal> set) => value.Type is JTokenType.Integer or JTokenType.Float && Set(() => set(value.Value<decimal>()));

    private static bool SetType(JsonSchema model, JToken value)
    {
        var names = value switch
        {
            JValue { Type: JTokenType.String } single => [single.Value<string>()!],
            JArray array when array.All(t => t.Type == JTokenType.String) => array.Select(t => t.Value<string>()!).ToArray(),
            _ => null,
        };
        if (names is null || names.Length == 0)
        {
            return false;
        }

        var type = JsonObjectType.None;
        foreach (var name in names)
        {
            var one = name switch
            {
                "object" => JsonObjectType.Object,
                "array" => JsonObjectType.Array,
                "string" => JsonObjectType.String,
                "integer" => JsonObjectType.Integer,
                "number" => JsonObjectType.Number,
                "boolean" => JsonObjectType.Boolean,
                "null" => JsonObjectType.Null,
                _ => JsonObjectType.None,
            };
            if (one == JsonObjectType.None)
            {
                return false;
            }

            type |= one;
        }

        model.Type = type;
        return true;
    }

    private bool SetProperties(JsonSchema model, JObject properties)
    {
        foreach (var (name, value) in properties)
        {
            if (value is not JObject propertySchema)
            {
                return false;
            }

            var property = new JsonSchemaProperty();
            if (!Fill(property, propertySchema))
            {
                return false;
            }

            model.Properties[name] = property;
        }

        return true;
    }

    private bool SetReference(JsonSchema model, JToken value)
    {
        // Only names a pointer carries as they are: anything escaped is left to the parser.
        if (value.Type != JTokenType.String || value.Value<string>() is not { } reference || !reference.StartsWith(DefinitionsPointer, StringComparison.Ordinal))
        {
            return false;
        }

        var name = reference[DefinitionsPointer.Length..];
        if (name.IndexOfAny(['/', '~', '%']) >= 0 || !definitions.TryGetValue(name, out var target))
        {
            return false;
        }

        model.Reference = target;
        return true;
    }

    private static bool SetRequired(JsonSchema model, JToken value)
    {
        if (value is not JArray names || names.Any(n => n.Type != JTokenType.String))
        {
            return false;
        }

        foreach (var name in names.Select(n => n.Value<string>()!))
        {
            if (!model.RequiredProperties.Contains(name))
            {
                model.RequiredProperties.Add(name);
            }
        }

        return true;
    }

    private bool SetAdditionalProperties(JsonSchema model, JToken value)
    {
        switch (value)
        {
            case JValue { Type: JTokenType.Boolean } allowed:
                model.AllowAdditionalProperties = allowed.Value<bool>();
                return true;
            case JObject schema:
                model.AllowAdditionalProperties = true;
                return Sub(schema, s => model.AdditionalPropertiesSchema = s);
            default:
                return false;
        }
    }

    private static bool SetEnum(JsonSchema model, JToken value)
    {
        // Only scalar values: the parser keeps objects and arrays in a form this builder does not reproduce.
        if (value is not JArray values || values.Any(v => v is not JValue))
        {
            return false;
        }

        foreach (var item in values)
        {
            model.Enumeration.Add(Plain(item));
        }

        return true;
    }

    private static object? Plain(JToken value) => value is JValue scalar ? scalar.Value : value.DeepClone();

    private bool AddAll(JToken value, ICollection<JsonSchema> into)
    {
        if (value is not JArray schemas || schemas.Count == 0)
        {
            return false;
        }

        foreach (var item in schemas)
        {
            if (item is not JObject schema || !Sub(schema, into.Add))
            {
                return false;
            }
        }

        return true;
    }

    private bool Sub(JObject schema, Action<JsonSchema> set)
    {
        var model = new JsonSchema();
        if (!Fill(model, schema))
        {
            return false;
        }

        set(model);
        return true;
    }
}
