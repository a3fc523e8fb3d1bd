using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Http;

namespace TcWorker.LocalQueue.Api;

/// <summary>ping and version, which every service of the local queue answers without credentials.</summary>
internal static class MonitoringRoutes
{
    public static IEnumerable<Route> Create()
    {
        yield return new Route("GET", "ping", "ping", null, _ => Task.FromResult(ApiReply.Json(new JObject { ["alive"] = true, ["uptime"] = Environment.TickCount64 / 1000.0 })));
        yield return new Route("GET", "__version__", "version", null, _ => Task.FromResult(ApiReply.Json(new JObject { ["source"] = "https://github.com/tcworker/tcworker", ["version"] = "106.0.0", ["commit"] = "local", ["build"] = "TcWorker.LocalQueue" })));
    }
}
