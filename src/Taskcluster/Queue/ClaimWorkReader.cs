using System.Globalization;
using System.Text;
using Utf8JsonReader = System.Text.Json.Utf8JsonReader;
using JsonReaderOptions = System.Text.Json.JsonReaderOptions;
using JsonTokenType = System.Text.Json.JsonTokenType;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>
/// Reads a claimWork response one claimed task at a time, so that one task definition that is too
/// large or nested too deep spoils only its own claim: that claim comes back with an empty
/// <see cref="TaskClaim.Task"/> and a <see cref="TaskClaim.TaskDefinitionError"/>, and the worker can
/// still resolve it with the claim's credentials. The response is scanned once without recursion
/// (so any depth is safe to skip over); only bounded parts are parsed into objects.
/// </summary>
internal static class ClaimWorkReader
{
    /// <summary>The deepest nesting of a task definition, counted from the definition's own braces.</summary>
    public const int MaxTaskDepth = 64;

    /// <summary>The largest task definition in bytes (the queue's own request body limit is 10 MB).</summary>
    public const int MaxTaskBytes = 10 * 1024 * 1024;

    private static readonly JsonSerializer Serializer = CreateSerializer();

    /// <summary>Reads the response; throws <see cref="JsonException"/> or <see cref="System.Text.Json.JsonException"/> when the response itself (not one task definition) is not what claimWork returns.</summary>
    public static ClaimWorkResponse Read(byte[] body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = int.MaxValue });
        Expect(ref reader, JsonTokenType.StartObject, "the response");
        var claims = new List<TaskClaim>();
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            Next(ref reader);
            if (name != "tasks")
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException("'tasks' is not an array.");
            }

            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                claims.Add(ReadClaim(body, ref reader, claims.Count));
            }
        }

        return new ClaimWorkResponse { Tasks = claims };
    }

    private static TaskClaim ReadClaim(byte[] body, ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"tasks[{index}] is not an object.");
        }

        var fields = new StringBuilder("{");
        (long Start, long End, int Depth)? task = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var nameStart = reader.TokenStartIndex;
            var isTask = reader.ValueTextEquals("task"u8);
            Next(ref reader);
            var valueStart = reader.TokenStartIndex;
            var depth = SkipMeasuringDepth(ref reader);
            var end = reader.BytesConsumed;
            if (isTask)
            {
                task = (valueStart, end, depth);
                continue;
            }

            if (fields.Length > 1)
            {
                fields.Append(',');
            }

            fields.Append(Encoding.UTF8.GetString(body, (int)nameStart, (int)(end - nameStart)));
        }

        var claim = Parse(fields.Append('}').ToString(), MaxTaskDepth) as JObject
            ?? throw new JsonException($"tasks[{index}] is not an object.");
        string? error = null;
        var definition = new JObject();
        if (task is not { } t)
        {
            error = "The claim carries no task definition.";
        }
        else if (t.End - t.Start > MaxTaskBytes)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"The task definition is {t.End - t.Start} bytes long; the worker accepts at most {MaxTaskBytes}.");
        }
        else if (t.Depth > MaxTaskDepth)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"The task definition nests {t.Depth} levels deep; the worker accepts at most {MaxTaskDepth}.");
        }
        else
        {
            try
            {
                definition = Parse(Encoding.UTF8.GetString(body, (int)t.Start, (int)(t.End - t.Start)), MaxTaskDepth) as JObject
                    ?? throw new JsonException("The task definition is not a JSON object.");
            }
            catch (JsonException e)
            {
                error = "The task definition cannot be read: " + e.Message;
            }
        }

        claim["task"] = definition;
        var result = claim.ToObject<TaskClaim>(Serializer) ?? throw new JsonException($"tasks[{index}] is empty.");
        result.TaskDefinitionError = error;
        return result;
    }

    /// <summary>Skips the current value without recursion and returns how deeply it nests (0 for a scalar).</summary>
    private static int SkipMeasuringDepth(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return 0;
        }

        var start = reader.CurrentDepth;
        var max = 1;
        while (reader.Read() && reader.CurrentDepth > start)
        {
            max = Math.Max(max, reader.CurrentDepth - start + (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray ? 1 : 0));
        }

        return max;
    }

    private static JToken Parse(string json, int maxDepth)
    {
        using var text = new JsonTextReader(new StringReader(json)) { MaxDepth = maxDepth, DateParseHandling = DateParseHandling.None };
        var token = JToken.ReadFrom(text);
        if (text.Read())
        {
            throw new JsonException("Additional text after the JSON value.");
        }

        return token;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("The response ends too early.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (Next(ref reader) != type)
        {
            throw new JsonException($"{what} is not a JSON {(type == JsonTokenType.StartObject ? "object" : "array")}.");
        }
    }

    private static JsonSerializer CreateSerializer()
    {
        var serializer = JsonSerializer.Create(TaskclusterJson.Settings);
        serializer.MaxDepth = MaxTaskDepth + 8;
        return serializer;
    }
}
