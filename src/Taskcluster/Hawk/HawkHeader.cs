using System.Text.RegularExpressions;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>Parses a Hawk Authorization header the way mozilla/hawk's <c>utils.parseAuthorizationHeader</c> does.</summary>
internal static partial class HawkHeader
{
    private static readonly string[] AllowedKeys = ["id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"];

    public static bool TryParse(string header, out Dictionary<string, string> attributes, out string error)
    {
        attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = SchemeRegex().Match(header);
        if (!parts.Success || !parts.Groups[1].Value.Equals("hawk", StringComparison.OrdinalIgnoreCase))
        {
            error = "Unauthorized";
            return false;
        }

        var attributesText = parts.Groups[2].Value;
        if (attributesText.Length == 0)
        {
            error = "Invalid header syntax";
            return false;
        }

        string? failure = null;
        var found = attributes;
        var rest = AttributeRegex().Replace(attributesText, match =>
        {
            var key = match.Groups[1].Value;
            var value = match.Groups[2].Value;
            if (!AllowedKeys.Contains(key))
            {
                failure ??= "Unknown attribute: " + key;
            }
            else if (!ValueRegex().IsMatch(value))
            {
                failure ??= "Bad attribute value: " + key;
            }
            else if (!found.TryAdd(key, value))
            {
                failure ??= "Duplicate attribute: " + key;
            }

            return string.Empty;
        });
        error = failure ?? (rest.Length != 0 ? "Bad header format" : string.Empty);
        return error.Length == 0;
    }

    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    [GeneratedRegex(@"^(\w+)(?:\s+(.*))?$", RegexOptions.ECMAScript)]
    private static partial Regex SchemeRegex();

    [GeneratedRegex(@"(\w+)=""([^""\\]*)""\s*(?:,\s*|$)", RegexOptions.ECMAScript)]
    private static partial Regex AttributeRegex();

    [GeneratedRegex(@"^[ \w!#$%&'()*+,\-./:;<=>?@\[\]^`{|}~]+$", RegexOptions.ECMAScript)]
    private static partial Regex ValueRegex();
}
