using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>The JSON conventions of the client: camelCase models, nulls omitted, ISO dates in UTC with milliseconds, date strings in JObjects left alone.</summary>
internal static class TaskclusterJson
{
    public static readonly JsonSerializerSettings Settings = new()
    {
        NullValueHandling = NullValueHandling.Ignore,
        DateParseHandling = DateParseHandling.None,
        Converters = { new IsoDateTimeConverter { DateTimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", DateTimeStyles = DateTimeStyles.AdjustToUniversal } },
    };

    public static byte[] SerializeToUtf8(object value) => Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value, Settings));

    public static T Deserialize<T>(string json) =>
        JsonConvert.DeserializeObject<T>(json, Settings) ?? throw new JsonSerializationException("The response body is empty.");

    public static JObject? TryParseObject(string text)
    {
        try
        {
            return TemporaryCertificate.ParseJson(text) as JObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
