using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.Taskcluster.Tests.Support;

/// <summary>
/// An ASP.NET Core endpoint guarded by <see cref="HawkVerifier"/>, as the local queue will use it:
/// 200 <c>{clientId, scopes}</c> when authenticated, else 401 with a Taskcluster error body.
/// </summary>
internal static class VerifyingServer
{
    public static Task<LoopbackServer> StartAsync(HawkVerifier verifier) =>
        LoopbackServer.StartAsync(async (context, request) =>
        {
            var result = await verifier.VerifyAsync(new HawkRequest
            {
                Method = request.Method,
                Resource = request.RawTarget,
                Host = context.Request.Host.Host,
                Port = HawkRequest.ResolvePort(context.Request.Host.Port ?? 80, request.Header("X-Forwarded-Port"), request.Header("X-Forwarded-Proto")),
                Authorization = request.Header("Authorization"),
                ContentType = request.Header("Content-Type"),
                Payload = request.Body,
            });
            context.Response.StatusCode = result.IsAuthenticated ? 200 : 401;
            context.Response.ContentType = "application/json";
            var body = result.IsAuthenticated
                ? new JObject { ["clientId"] = result.ClientId, ["scopes"] = new JArray(result.Scopes) }
                : new JObject { ["code"] = "AuthenticationFailed", ["message"] = result.Message, ["requestInfo"] = new JObject() };
            await context.Response.WriteAsync(body.ToString());
        });
}
