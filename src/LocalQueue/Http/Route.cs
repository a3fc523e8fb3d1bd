using TcWorker.LocalQueue.Auth;

namespace TcWorker.LocalQueue.Http;

/// <summary>
/// One API route: <c>&lt;param&gt;</c> segments match one percent-encoded path segment, a final
/// <c>&lt;*param&gt;</c> matches the rest (literal <c>/</c> or <c>%2F</c>), and a final
/// <c>&lt;param?&gt;</c> matches one segment that may be empty or missing (the parameter is then empty).
/// </summary>
internal sealed class Route
{
    private readonly string[] segments;

    /// <param name="method">The HTTP method.</param>
    /// <param name="pattern">The path below <c>/api/&lt;service&gt;/v1/</c>.</param>
    /// <param name="name">The API reference's name of the method, reported in requestInfo.</param>
    /// <param name="scopes">Checked before the handler runs with the route parameters; null when the handler checks (see <see cref="ApiRequest.Authorize"/>) or none are needed.</param>
    /// <param name="handler">Answers the request.</param>
    /// <param name="handlerAuthorizes">The handler calls <see cref="ApiRequest.Authorize"/> itself, with parameters from the body.</param>
    public Route(string method, string pattern, string name, ScopeExpression? scopes, Func<ApiRequest, Task<ApiReply>> handler, bool handlerAuthorizes = false)
    {
        Method = method;
        Name = name;
        Scopes = scopes;
        Handler = handler;
        HandlerAuthorizes = handlerAuthorizes;
        Pattern = pattern;
        segments = pattern.Trim('/').Split('/');
    }

    public string Method { get; }

    /// <summary>The path pattern below the service prefix, as given.</summary>
    public string Pattern { get; }

    public string Name { get; }

    public ScopeExpression? Scopes { get; }

    public bool HandlerAuthorizes { get; }

    public Func<ApiRequest, Task<ApiReply>> Handler { get; }

    /// <summary>Matches the raw (still percent-encoded) path below the service prefix; returns the decoded parameters.</summary>
    public Dictionary<string, string>? Match(string[] rawSegments)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.StartsWith("<*", StringComparison.Ordinal))
            {
                if (i >= rawSegments.Length || (rawSegments.Length == i + 1 && rawSegments[i].Length == 0))
                {
                    return null;
                }

                parameters[segment[2..^1]] = Uri.UnescapeDataString(string.Join('/', rawSegments[i..]));
                return parameters;
            }

            var optional = segment.EndsWith("?>", StringComparison.Ordinal) && i == segments.Length - 1;
            if (i >= rawSegments.Length)
            {
                if (optional)
                {
                    parameters[segment[1..^2]] = string.Empty;
                    return parameters;
                }

                return null;
            }

            if (segment.StartsWith('<'))
            {
                if (rawSegments[i].Length == 0 && !optional)
                {
                    return null;
                }

                parameters[optional ? segment[1..^2] : segment[1..^1]] = Uri.UnescapeDataString(rawSegments[i]);
            }
            else if (segment != rawSegments[i])
            {
                return null;
            }
        }

        return rawSegments.Length == segments.Length ? parameters : null;
    }
}

/// <summary>What a handler answers: a status, an optional JSON body, an optional redirect and headers.</summary>
internal sealed record ApiReply(int Status, Newtonsoft.Json.Linq.JToken? Body = null, string? Location = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static ApiReply Json(Newtonsoft.Json.Linq.JToken body) => new(200, body);
}
