using System.Globalization;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;

namespace TcWorker.LocalQueue.Http;

/// <summary>A request matched to a route and authenticated: its parameters, its JSON body and the caller's scopes.</summary>
internal sealed class ApiRequest
{
    private JToken? json;

    public ApiRequest(HttpContext context, Route route, Dictionary<string, string> parameters, DateTimeOffset now)
    {
        Context = context;
        Route = route;
        Parameters = parameters;
        Now = now;
    }

    public HttpContext Context { get; }

    public Route Route { get; }

    public Dictionary<string, string> Parameters { get; }

    /// <summary>The request body, once the caller is authenticated; empty for routes that need no credentials.</summary>
    public byte[] Body { get; set; } = [];

    /// <summary>The caller's scopes, once authenticated.</summary>
    public IReadOnlyList<string> Scopes { get; set; } = [];

    /// <summary>The time the request arrived (the server's TimeProvider).</summary>
    public DateTimeOffset Now { get; }

    public CancellationToken Aborted => Context.RequestAborted;

    public string this[string parameter] => Parameters[parameter];

    /// <summary>The body as JSON, or null when empty.</summary>
    public JToken? Json
    {
        get
        {
            if (json is null && Body.Length > 0)
            {
                try
                {
                    json = QueueJson.Parse(System.Text.Encoding.UTF8.GetString(Body));
                }
                catch (JsonException e)
                {
                    throw QueueError.Malformed("Malformed JSON payload: " + e.Message);
                }
            }

            return json;
        }
    }

    /// <summary>The body, which must be a JSON object.</summary>
    public JObject Object => Json as JObject ?? throw QueueError.Validation("Schema Validation Failed!\ndata must be object");

    /// <summary>A runId route parameter: an integer from 0 to 1000.</summary>
    public int RunId => int.TryParse(Parameters["runId"], NumberStyles.None, CultureInfo.InvariantCulture, out var runId) && runId <= 1000
        ? runId
        : throw QueueError.Validation($"runId `{Parameters["runId"]}` must be an integer from 0 to 1000");

    /// <summary>Checks the route's scope expression with the route parameters plus <paramref name="extra"/>; 403 when unsatisfied.</summary>
    public void Authorize(IReadOnlyDictionary<string, object>? extra = null)
    {
        if (Route.Scopes is null)
        {
            return;
        }

        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in Parameters)
        {
            parameters[key] = value;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, object>())
        {
            parameters[key] = value;
        }

        if (!Route.Scopes.IsSatisfied(Scopes, parameters))
        {
            throw QueueError.Scopes(
                $"Client ID does not have sufficient scopes and is missing the following scopes:\n\n{Route.Scopes.Describe(parameters)}\n\n" +
                $"You have the following scopes:\n\n{string.Join("\n", Scopes)}\n\nThis request requires the client to satisfy the scope expression above.");
        }
    }

    /// <summary>
    /// Refuses an anonymous caller before its body is read, on a route whose scopes depend on the
    /// body: no body can give an anonymous caller the scopes the route's expression asks for.
    /// </summary>
    public void RefuseAnonymousBody()
    {
        var parameters = Parameters.ToDictionary(p => p.Key, p => (object)p.Value, StringComparer.Ordinal);
        throw QueueError.Scopes(
            $"This request needs credentials: anonymous callers do not have the scopes it requires, and their request bodies are not read. It requires:\n\n{Route.Scopes!.Describe(parameters)}");
    }

    /// <summary>
    /// Rejects query-string parameters other than <paramref name="allowed"/> and <c>bewit</c> (which
    /// signs the URL) with 400 InvalidRequestArguments, as the real services do.
    /// </summary>
    public void CheckQuery(params string[] allowed)
    {
        var unknown = Context.Request.Query.Keys.Where(k => k != "bewit" && !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw QueueError.Arguments(string.Join("\n", unknown.Select(k =>
                $"Query-string parameter {Taskcluster.TaskclusterIdentifiers.Quote(k)} is not taken by {Route.Name}" + (allowed.Length == 0 ? string.Empty : $" (it takes {string.Join(", ", allowed)})"))));
        }
    }

    /// <summary>Rejects body properties other than <paramref name="allowed"/> (the schemas forbid additional properties).</summary>
    public JObject Strict(params string[] allowed) => StrictObject(Object, "data", allowed);

    /// <summary>
    /// <paramref name="token"/> as an object with no properties but <paramref name="allowed"/>; a
    /// validation error naming <paramref name="path"/> otherwise.
    /// </summary>
    public static JObject StrictObject(JToken? token, string path, params string[] allowed)
    {
        var value = token as JObject ?? throw QueueError.Validation($"Schema Validation Failed!\n{path} must be object");
        var extra = value.Properties().Select(p => p.Name).Where(n => !allowed.Contains(n)).ToList();
        return extra.Count == 0 ? value : throw QueueError.Validation($"Schema Validation Failed!\n{path} must NOT have additional properties: " + string.Join(", ", extra));
    }

    /// <summary>A required string property of the body.</summary>
    public static string RequiredString(JObject body, string name) =>
        body[name] is { Type: JTokenType.String } token ? (string)token! : throw QueueError.Validation($"Schema Validation Failed!\ndata must have required property '{name}' (a string)");

    /// <summary>
    /// An optional integer: null when <paramref name="token"/> is absent; a validation error naming
    /// <paramref name="path"/> when it is not an integer from <paramref name="min"/> to <paramref name="max"/>
    /// (numbers beyond 64 bits included).
    /// </summary>
    public static long? Integer(JToken? token, string path, long min, long max = long.MaxValue)
    {
        if (token is null)
        {
            return null;
        }

        return token is JValue { Type: JTokenType.Integer, Value: long value } && value >= min && value <= max
            ? value
            : throw QueueError.Validation($"Schema Validation Failed!\n{path} must be an integer " + (max == long.MaxValue
                ? $"of at least {min.ToString(CultureInfo.InvariantCulture)}"
                : $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>An optional string of at most <paramref name="maxLength"/> characters: null when absent; a validation error naming <paramref name="path"/> otherwise.</summary>
    public static string? String(JToken? token, string path, int maxLength) => token switch
    {
        null => null,
        { Type: JTokenType.String } when ((string)token!).Length <= maxLength => (string)token!,
        _ => throw QueueError.Validation($"Schema Validation Failed!\n{path} must be a string of at most {maxLength.ToString(CultureInfo.InvariantCulture)} characters"),
    };

    /// <summary>A required date property of the body.</summary>
    public static DateTimeOffset RequiredDate(JObject body, string name) =>
        QueueJson.TryParseDate(body[name], out var value) ? value : throw QueueError.Validation($"Schema Validation Failed!\ndata must have required property '{name}' (a date-time string)");

    /// <summary>The request summary for error bodies.</summary>
    public JObject RequestInfo() => new()
    {
        ["method"] = Route.Name,
        ["params"] = JObject.FromObject(Parameters),
        ["payload"] = json ?? new JObject(),
        ["time"] = QueueJson.Date(Now),
    };
}
