using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace TcWorker.Runtime.Schemas;

/// <summary>
/// Validates JSON documents against a JSON schema and explains every violation in words a user can
/// act on: the JSON path, the rule, and the offending and allowed values. Thread-safe once built.
/// </summary>
public sealed class SchemaValidator
{
    private readonly JsonSchema schema;

    private SchemaValidator(JsonSchema schema) => this.schema = schema;

    /// <summary>Builds a validator. Throws <see cref="ArgumentException"/> when the schema itself is invalid.</summary>
    /// <param name="schema">A JSON schema (draft 4 to 7 keywords).</param>
    /// <returns>The validator.</returns>
    public static SchemaValidator Create(JObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return SchemaModelBuilder.TryBuild(schema) is { } built ? new SchemaValidator(built) : CreateWithParser(schema);
    }

    /// <summary>Builds a validator through the schema library's own JSON parser (every keyword it knows).</summary>
    internal static SchemaValidator CreateWithParser(JObject schema)
    {
        try
        {
            var parsed = JsonSchema.FromJsonAsync(schema.ToString(Formatting.None)).GetAwaiter().GetResult();
            return new SchemaValidator(parsed);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new ArgumentException($"The JSON schema is invalid: {e.Message}", nameof(schema), e);
        }
    }

    /// <summary>Validates a document; an empty list means valid.</summary>
    /// <param name="document">The document.</param>
    /// <returns>Every violation, each once, ordered by path.</returns>
    public IReadOnlyList<SchemaViolation> Validate(JToken document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var violations = new List<SchemaViolation>();
        foreach (var error in schema.Validate(document))
        {
            Collect(error, document, violations);
        }

        return violations.Distinct().OrderBy(v => v.Path, StringComparer.Ordinal).ToList();
    }

    private static void Collect(ValidationError error, JToken document, List<SchemaViolation> into)
    {
        if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
        {
            // anyOf/oneOf: explain the branch that came closest (fewest errors) rather than all of them.
            var best = child.Errors.OrderBy(e => e.Value.Count).First().Value;
            if (best.Count > 0)
            {
                foreach (var inner in best)
                {
                    Collect(inner, document, into);
                }

                return;
            }
        }

        var path = ToJsonPath(error.Path);
        var value = Find(document, error.Path);
        into.Add(new SchemaViolation(path, Describe(error, value)));
    }

    /// <summary>Turns NJsonSchema's <c>#/a.b[0]</c> into <c>$.a.b[0]</c>.</summary>
    internal static string ToJsonPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "#" || path == "#/")
        {
            return "$";
        }

        var rest = path.StartsWith("#/", StringComparison.Ordinal) ? path[2..] : path.TrimStart('#');
        return rest.StartsWith('[') ? "$" + rest : "$." + rest;
    }

    private static JToken? Find(JToken document, string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "#" || path == "#/")
        {
            return document;
        }

        try
        {
            return document.SelectToken(path.StartsWith("#/", StringComparison.Ordinal) ? path[2..] : path, errorWhenNoMatch: false);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Describe(ValidationError error, JToken? value)
    {
        var s = error.Schema;
        string Found() => value is null ? string.Empty : $", found {Show(value)}";
        return error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => $"the required property '{error.Property}' is missing",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => $"the property '{error.Property}' is not allowed here",
            ValidationErrorKind.StringExpected => "expected a string" + Found(),
            ValidationErrorKind.IntegerExpected => "expected an integer" + Found(),
            ValidationErrorKind.NumberExpected => "expected a number" + Found(),
            ValidationErrorKind.BooleanExpected => "expected true or false" + Found(),
            ValidationErrorKind.ArrayExpected => "expected an array" + Found(),
            ValidationErrorKind.ObjectExpected => "expected an object" + Found(),
            ValidationErrorKind.NullExpected => "expected null" + Found(),
            ValidationErrorKind.NotInEnumeration => $"{Show(value)} is not one of {string.Join(", ", s.Enumeration.Select(e => Show(e is null ? JValue.CreateNull() : JToken.FromObject(e))))}",
            ValidationErrorKind.PatternMismatch => $"{Show(value)} does not match the pattern {s.Pattern}",
            ValidationErrorKind.StringTooShort => $"{Show(value)} is shorter than {s.MinLength} characters",
            ValidationErrorKind.StringTooLong => $"{Show(value)} is longer than {s.MaxLength} characters",
            ValidationErrorKind.NumberTooSmall => $"{Show(value)} is less than the minimum {Num(s.Minimum ?? s.ExclusiveMinimum)}",
            ValidationErrorKind.NumberTooBig => $"{Show(value)} is more than the maximum {Num(s.Maximum ?? s.ExclusiveMaximum)}",
            ValidationErrorKind.TooFewItems => $"the array has {Count(value)} items, fewer than the minimum {s.MinItems}",
            ValidationErrorKind.TooManyItems => $"the array has {Count(value)} items, more than the maximum {s.MaxItems}",
            ValidationErrorKind.ItemsNotUnique => "the array's items must be unique",
            ValidationErrorKind.TooFewProperties => $"the object has fewer than {s.MinProperties} properties",
            ValidationErrorKind.TooManyProperties => $"the object has more than {s.MaxProperties} properties",
            ValidationErrorKind.NotAnyOf => "matches none of the allowed forms" + Found(),
            ValidationErrorKind.NotOneOf => "matches none, or more than one, of the allowed forms" + Found(),
            ValidationErrorKind.ExcludedSchemaValidates => "matches a form that is not allowed" + Found(),
            ValidationErrorKind.DateTimeExpected => $"{Show(value)} is not a date-time (RFC 3339, e.g. 2024-01-31T12:00:00Z)",
            ValidationErrorKind.UriExpected => $"{Show(value)} is not a URI",
            ValidationErrorKind.NoTypeValidates => "has none of the allowed types" + Found(),
            _ => $"breaks the rule '{error.Kind}'" + Found(),
        };
    }

    private static string Num(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static int Count(JToken? value) => value is JArray array ? array.Count : 0;

    /// <summary>Shows a value the way a user wrote it, shortened when long.</summary>
    internal static string Show(JToken? value)
    {
        if (value is null)
        {
            return "nothing";
        }

        var text = value.Type switch
        {
            JTokenType.Object => "an object",
            JTokenType.Array => "an array",
            _ => value.ToString(Formatting.None),
        };
        return text.Length > 80 ? string.Concat(text.AsSpan(0, 77), "...") : text;
    }
}
