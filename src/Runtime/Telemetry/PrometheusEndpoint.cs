using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// A scrape endpoint on a loopback address: <c>GET /metrics</c> collects and answers in Prometheus' text
/// format; anything else is 404. One request at a time; it never touches task work.
/// </summary>
internal sealed class PrometheusEndpoint : IDisposable
{
    private readonly HttpListener listener;
    private readonly Func<string> scrape;
    private readonly ILogger logger;
    private readonly Task serving;

    private PrometheusEndpoint(HttpListener listener, Uri url, Func<string> scrape, ILogger logger)
    {
        this.listener = listener;
        this.scrape = scrape;
        this.logger = logger;
        Url = url;
        serving = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public static PrometheusEndpoint Start(IPEndPoint listen, Func<string> scrape, ILogger logger)
    {
        var host = listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen.Address}]" : listen.Address.ToString();
        var prefix = $"http://{host}:{listen.Port}/";
        var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        return new PrometheusEndpoint(listener, new Uri(prefix + "metrics"), scrape, logger);
    }

    public void Dispose()
    {
        listener.Close();
        try
        {
            serving.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // Closed while serving.
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var response = context.Response;
            try
            {
                if (context.Request.HttpMethod != "GET" || context.Request.Url?.AbsolutePath != "/metrics")
                {
                    response.StatusCode = 404;
                    continue;
                }

                var body = Encoding.UTF8.GetBytes(scrape());
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or InvalidOperationException)
            {
                TelemetryLog.ScrapeFailed(logger, e.Message);
            }
        }
    }
}
