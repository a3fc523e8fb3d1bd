using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TcWorker.Runtime.Configuration;

/// <summary>
/// Reads YAML or JSON into Newtonsoft values. YAML scalars get JSON types by YAML 1.2's core
/// schema rules (plain <c>true</c>, <c>12</c>, <c>1.5</c>, <c>null</c>); quoted scalars stay strings.
/// </summary>
public static class JsonDocumentReader
{
    /// <summary>Reads a YAML or JSON file (JSON is YAML). Throws <see cref="ConfigException"/> with the line and column of a syntax error.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The document's root value.</returns>
    public static JToken ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [$"cannot be read: {e.Message}"]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses YAML or JSON text. Throws <see cref="ConfigException"/> with the line and column of a syntax error.</summary>
    /// <param name="text">The text.</param>
    /// <param name="source">Where the text came from, for messages.</param>
    /// <returns>The document's root value (an empty object for an empty document).</returns>
    public static JToken Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().TrimStart().StartsWith("{"))
        {
            return ParseYaml(text, source);
        }

        try
        {
            return ParseJson(text, source);
        }
        catch (ConfigException json)
        {
            // YAML's flow style also begins with a brace ({engine: native}); what neither reads is
            // reported in JSON's words, which a text that begins like JSON most likely meant to be.
            try
            {
                return ParseYaml(text, source);
            }
            catch (ConfigException)
            {
                throw json;
            }
        }
    }

    /// <summary>
    /// A JSON object, read as JSON: the same values YAML would give it (strings stay strings, dates
    /// included), without the YAML parser, whose first use builds a compiled regular expression.
    /// </summary>
    private static JToken ParseJson(string text, string source)
    {
        using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Double };
        try
        {
            var value = JToken.ReadFrom(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error, LineInfoHandling = LineInfoHandling.Ignore });

            // Anything after the object but comments and white space is an error, as it is in YAML.
            while (reader.Read())
            {
            }

            return value;
        }
        catch (JsonReaderException e)
        {
            throw new ConfigException(source, [$"line {e.LineNumber}, column {Math.Max(1, e.LinePosition)}: {JsonMessage(e)}"]);
        }
    }

    // Newtonsoft ends its messages with the path and position, which the caller's message already gives.
    private static string JsonMessage(JsonReaderException e)
    {
        var message = e.Message;
        var path = message.IndexOf(" Path '", StringComparison.Ordinal);
        var line = message.IndexOf(", line ", StringComparison.Ordinal);
        var cut = path >= 0 ? path : line;
        return (cut >= 0 ? message[..cut] : message).TrimEnd('.', ' ', ',');
    }

    private static JToken ParseYaml(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException(source, [$"line {e.Start.Line}, column {e.Start.Column}: {Inner(e).Message}"]);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some malformed documents (an unclosed flow sequence) this way, without a position.
            throw new ConfigException(source, [$"is not valid YAML or JSON ({e.Message}); check for unclosed brackets or quotes"]);
        }

        if (stream.Documents.Count == 0)
        {
            return new JObject();
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigException(source, ["holds more than one YAML document; put everything in one"]);
        }

        return Convert(stream.Documents[0].RootNode, source);
    }

    private static Exception Inner(Exception e) => e.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) ? inner : e;

    private static JToken Convert(YamlNode node, string source)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw new ConfigException(source, [$"line {key.Start.Line}: keys must be plain strings"]);
                    }

                    if (obj.ContainsKey(name))
                    {
                        throw new ConfigException(source, [$"line {key.Start.Line}: the key '{name}' appears twice"]);
                    }

                    obj[name] = Convert(value, source);
                }

                return obj;
            case YamlSequenceNode sequence:
                return new JArray(sequence.Children.Select(child => Convert(child, source)));
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                throw new ConfigException(source, [$"line {node.Start.Line}: aliases and other YAML node kinds are not supported"]);
        }
    }

    private static JToken ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return new JValue(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return JValue.CreateNull();
            case "true" or "True" or "TRUE":
                return new JValue(true);
            case "false" or "False" or "FALSE":
                return new JValue(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return new JValue(integer);
        }

        if (value.Length > 0 && (char.IsDigit(value[0]) || value[0] is '-' or '+' or '.')
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return new JValue(number);
        }

        return new JValue(value);
    }

    /// <summary>Formats a value as indented JSON.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(JToken value) => value.ToString(Formatting.Indented);
}
