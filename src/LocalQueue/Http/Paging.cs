using System.Globalization;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Http;

/// <summary>The paging of list calls: <c>continuationToken</c> and <c>limit</c>, from the query string or (deprecated POST forms) the body.</summary>
internal static class Paging
{
    /// <summary>The most items one page lists.</summary>
    public const int MaxPage = 1000;

    /// <summary>The query parameters of a page.</summary>
    public static readonly string[] Query = ["continuationToken", "limit"];

    /// <summary>
    /// The page a request asks for: its token (null for the first page) and its limit (at most
    /// <see cref="MaxPage"/>, <paramref name="defaultLimit"/> when absent). POST requests may also
    /// carry both in their body, where older clients sent them.
    /// </summary>
    public static (string? Token, int Limit) Of(ApiRequest request, int defaultLimit = MaxPage)
    {
        var query = request.Context.Request.Query;
        var body = request.Route.Method == "POST" && request.Json is not null ? request.Strict(Query) : [];
        var token = query["continuationToken"].ToString() is { Length: > 0 } t ? t : ApiRequest.String(body["continuationToken"], "data/continuationToken", 10_000);
        long? limit = query.ContainsKey("limit") ? ParseLimit(query["limit"].ToString()) : ApiRequest.Integer(body["limit"], "data/limit", 1, MaxPage);
        return (token is { Length: > 0 } ? token : null, (int)Math.Min(limit ?? defaultLimit, MaxPage));
    }

    /// <summary>The limit query parameter: digits only and at least 1 (400 InvalidRequestArguments otherwise); above 1000 it lists 1000.</summary>
    private static long ParseLimit(string text)
    {
        var digits = text.TrimStart('0');
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) || digits.Length == 0)
        {
            throw QueueError.Arguments($"Query-string parameter: limit={TaskclusterIdentifiers.Quote(text)} must be a whole number of at least 1 (at most {MaxPage.ToString(CultureInfo.InvariantCulture)} are listed at once)");
        }

        return digits.Length > 4 ? MaxPage : long.Parse(digits, CultureInfo.InvariantCulture);
    }
}
