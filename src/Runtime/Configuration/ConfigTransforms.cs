using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// Replaces transform objects in a config with their values, as taskcluster-worker's config did:
/// <c>{$env: NAME, type: string|number|bool|json|list}</c> reads an environment variable (list
/// splits on whitespace; json parses the value). Every problem is collected with its JSON path.
/// </summary>
public static class ConfigTransforms
{
    private static readonly string[] EnvTypes = ["string", "number", "bool", "json", "list"];

    /// <summary>Applies the transforms in place.</summary>
    /// <param name="config">The config document; transform objects anywhere in it are replaced.</param>
    /// <param name="environment">Looks up environment variables (null when unset).</param>
    /// <returns>The transformed document, and every problem found with its JSON path.</returns>
    public static (JToken Result, IReadOnlyList<string> Problems) Apply(JToken config, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        var problems = new List<string>();
        return (Transform(config, environment, problems), problems);
    }

    private static JToken Transform(JToken token, Func<string, string?> environment, List<string> problems)
    {
        switch (token)
        {
            case JObject obj when obj.ContainsKey("$env"):
                return Env(obj, environment, problems);
            case JObject obj:
                foreach (var property in obj.Properties().ToList())
                {
                    property.Value = Transform(property.Value, environment, problems);
                }

                return obj;
            case JArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Transform(array[i], environment, problems);
                }

                return array;
            default:
                return token;
        }
    }

    private static JToken Env(JObject transform, Func<string, string?> environment, List<string> problems)
    {
        var path = PathOf(transform);
        var unknown = transform.Properties().Select(p => p.Name).Where(n => n is not "$env" and not "type").ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"{path}: the $env transform does not take {string.Join(", ", unknown.Select(n => $"'{n}'"))} (only $env and type)");
            return JValue.CreateNull();
        }

        if (transform["$env"] is not JValue { Type: JTokenType.String } nameValue || string.IsNullOrEmpty((string?)nameValue))
        {
            problems.Add($"{path}: $env must name an environment variable");
            return JValue.CreateNull();
        }

        var name = (string)nameValue!;
        var type = transform["type"]?.Type == JTokenType.String ? (string)transform["type"]! : "string";
        if (!EnvTypes.Contains(type, StringComparer.Ordinal))
        {
            problems.Add($"{path}: $env type '{type}' is not one of {string.Join(", ", EnvTypes)}");
            return JValue.CreateNull();
        }

        var value = environment(name);
        if (value is null)
        {
            problems.Add($"{path}: the environment variable {name} is not set");
            return JValue.CreateNull();
        }

        switch (type)
        {
            case "number" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                return number % 1 == 0 && Math.Abs(number) < long.MaxValue ? new JValue((long)number) : new JValue(number);
            case "bool" when bool.TryParse(value, out var flag):
                return new JValue(flag);
            case "bool" when value is "1" or "0":
                return new JValue(value == "1");
            case "list":
                return new JArray(value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            case "json":
                try
                {
                    return JToken.Parse(value);
                }
                catch (JsonException e)
                {
                    problems.Add($"{path}: the environment variable {name} does not hold valid JSON: {e.Message}");
                    return JValue.CreateNull();
                }

            case "string":
                return new JValue(value);
            default:
                problems.Add($"{path}: the environment variable {name} is not a valid {type}");
                return JValue.CreateNull();
        }
    }

    private static string PathOf(JToken token) => string.IsNullOrEmpty(token.Path) ? "$" : (token.Path.StartsWith('[') ? "$" : "$.") + token.Path;
}
