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

    /// <summary>
    /// The request body as UTF-8 JSON. A claimWork request, the worker's first call, is written field by
    /// field with the same writer the serializer uses, so the bytes are the same: the serializer's first
    /// use (reflection over the model, code it emits for the accessors) then comes after the first claim
    /// is on its way, while the long poll waits, instead of before it.
    /// </summary>
    public static byte[] SerializeToUtf8(object value) => value is ClaimWorkRequest claim
        ? Encoding.UTF8.GetBytes(ClaimWorkBody(claim))
        : Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value, Settings));

    /// <summary>A claimWork request as <see cref="JsonConvert.SerializeObject(object?, JsonSerializerSettings?)"/> writes it with <see cref="Settings"/>.</summary>
    internal static string ClaimWorkBody(ClaimWorkRequest request)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var writer = new JsonTextWriter(text) { Formatting = Formatting.None })
        {
            writer.WriteStartObject();
            WriteString(writer, "workerGroup", request.WorkerGroup);
            WriteString(writer, "workerId", request.WorkerId);
            writer.WritePropertyName("tasks");
            writer.WriteValue(request.Tasks);
            writer.WriteEndObject();
        }

        return text.ToString();
    }

    /// <summary>Writes a string property; a null is left out, as <see cref="NullValueHandling.Ignore"/> does.</summary>
    private static void WriteString(JsonTextWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WritePropertyName(name);
            writer.WriteValue(value);
        }
    }

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
