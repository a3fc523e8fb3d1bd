using Microsoft.Extensions.Logging;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Telemetry;

/// <summary>Logs the first failed export, once for the worker's life: a collector that is down would otherwise fill the log.</summary>
internal sealed class ExportFailureLog(ILogger logger, Uri endpoint)
{
    private int logged;

    public void Failed(string reason)
    {
        if (Interlocked.Exchange(ref logged, 1) == 0)
        {
            TelemetryLog.ExportFailed(logger, TaskclusterTelemetry.RedactUrl(endpoint.ToString()), reason);
        }
    }
}

/// <summary>Watches the exporter's HTTP exchanges for failures (no connection, no answer in time, an error status).</summary>
internal sealed class ExportFailureHandler(ExportFailureLog log) : DelegatingHandler
{
    // The exporter sends synchronously on its own thread.
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Checked(base.Send(request, cancellationToken));
        }
        catch (Exception e)
        {
            Failed(e);
            throw;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return Checked(await base.SendAsync(request, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            Failed(e);
            throw;
        }
    }

    private HttpResponseMessage Checked(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            log.Failed($"HTTP {(int)response.StatusCode}");
        }

        return response;
    }

    private void Failed(Exception e) => log.Failed(e is OperationCanceledException ? "no answer in time" : e.Message);
}
