using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.LocalQueue.Model;

/// <summary>JSON as the queue speaks it: dates as ISO strings in UTC with milliseconds, never parsed into DateTime.</summary>
internal static class QueueJson
{
    public static string Date(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseDate(JToken? token, out DateTimeOffset value)
    {
        value = default;
        return token is { Type: JTokenType.String }
            && DateTimeOffset.TryParse((string)token!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    public static DateTimeOffset ParseDate(JToken? token) =>
        TryParseDate(token, out var value) ? value : throw new FormatException("Not a date: " + token);

    public static JToken Parse(string text)
    {
        using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
        var token = JToken.ReadFrom(reader);
        if (reader.Read())
        {
            throw new JsonReaderException("Additional text after the JSON value.");
        }

        return token;
    }

    public static JObject ParseObject(string text) => (JObject)Parse(text);

    public static string Compact(JToken token) => token.ToString(Formatting.None);
}
