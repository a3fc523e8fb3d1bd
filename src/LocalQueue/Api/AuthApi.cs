using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Auth;
using TcWorker.LocalQueue.Http;

namespace TcWorker.LocalQueue.Api;

/// <summary>
/// The part of the auth service (<c>/api/auth/v1/</c>) a worker uses to check its own credentials:
/// currentScopes, plus ping and version. currentScopes asks for no scope, but its caller is
/// authenticated: bad credentials are refused with 401, and an anonymous caller gets the anonymous scopes.
/// </summary>
internal static class AuthApi
{
    public static IEnumerable<Route> Routes()
    {
        foreach (var route in MonitoringRoutes.Create())
        {
            yield return route;
        }

        yield return new Route("GET", "scopes/current", "currentScopes", ScopeExpression.Parse("""{"AllOf": []}"""), CurrentScopesAsync);
    }

    private static Task<ApiReply> CurrentScopesAsync(ApiRequest request)
    {
        request.CheckQuery();
        var scopes = request.Scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return Task.FromResult(ApiReply.Json(new JObject { ["scopes"] = new JArray(scopes) }));
    }
}
