using System.Collections.Concurrent;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace TcWorker.Tests.Shared;

/// <summary>
/// Validates JSON against the official Taskcluster schemas: generated/references.json.split/schemas,
/// or for services not split out (the index), the bundle generated/references.json.
/// </summary>
internal static class Schemas
{
    private static readonly ConcurrentDictionary<string, Task<JsonSchema>> Cache = new();

    /// <param name="schema">e.g. <c>queue/v1/claim-work-request.json</c>.</param>
    public static async Task AssertValidAsync(string schema, JToken json)
    {
        var split = Path.Combine(TestFiles.ApiDir, "generated", "references.json.split", "schemas", schema);
        var loaded = File.Exists(split)
            ? await Cache.GetOrAdd(split, p => JsonSchema.FromFileAsync(p))
            : await Cache.GetOrAdd(schema, async s => await JsonSchema.FromJsonAsync((await FromBundleAsync(s)).ToString()));
        var errors = loaded.Validate(json);
        Assert.True(errors.Count == 0, $"{schema} rejects {json.ToString(Newtonsoft.Json.Formatting.None)}:\n{string.Join("\n", Flatten(errors))}");
    }

    /// <summary>A schema of the bundle with its references to sibling files (e.g. <c>purge-cache-requests.json#</c>) inlined.</summary>
    private static async Task<JToken> FromBundleAsync(string schema)
    {
        var root = (await TestFiles.BundleEntryAsync("schemas/" + schema)).DeepClone();
        var folder = schema[..(schema.LastIndexOf('/') + 1)];
        foreach (var reference in root.SelectTokens("$..['$ref']").OfType<JValue>().ToList())
        {
            if ((string?)reference is { Length: > 0 } target && !target.StartsWith('#') && !target.StartsWith('/'))
            {
                var inlined = (JObject)await FromBundleAsync(folder + target.TrimEnd('#'));
                inlined.Remove("$id");
                inlined.Remove("$schema");
                ((JObject)reference.Parent!.Parent!).Replace(inlined);
            }
        }

        return root;
    }

    private static IEnumerable<string> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            yield return $"{error.Kind} at {error.Path}";
            if (error is ChildSchemaValidationError child)
            {
                foreach (var nested in child.Errors.SelectMany(e => Flatten(e.Value)))
                {
                    yield return "  " + nested;
                }
            }
        }
    }
}
