using System.Diagnostics.Metrics;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// The worker's metrics on the <c>TcWorker</c> meter: claims, resolutions by state and reason, claim
/// latency, run duration, reclaim failures, and the capacity in use and its limit. Read them with
/// dotnet-counters, OpenTelemetry (the <c>telemetry</c> config section) or the Prometheus endpoint.
/// </summary>
public sealed class WorkerMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "TcWorker";

    private readonly Meter meter;
    private readonly Counter<long> claims;
    private readonly Counter<long> resolutions;
    private readonly Counter<long> reclaimFailures;
    private readonly Histogram<double> claimLatency;
    private readonly Histogram<double> runDuration;
    private readonly UpDownCounter<long> running;
    private int capacity;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">The meter factory, or null for a private meter.</param>
    public WorkerMetrics(IMeterFactory? meterFactory = null)
    {
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        claims = meter.CreateCounter<long>("tcworker.claims", "{task}", "Tasks claimed.");
        resolutions = meter.CreateCounter<long>("tcworker.resolutions", "{task}", "Runs resolved, by state and reason.");
        reclaimFailures = meter.CreateCounter<long>("tcworker.reclaim.failures", "{call}", "Reclaim calls that failed.");
        claimLatency = meter.CreateHistogram<double>("tcworker.claim.duration", "ms", "Duration of claimWork calls that returned tasks.");
        runDuration = meter.CreateHistogram<double>("tcworker.run.duration", "s", "From claim to resolution.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 86400] });
        running = meter.CreateUpDownCounter<long>("tcworker.capacity.used", "{task}", "Tasks running now.");
        meter.CreateObservableGauge("tcworker.capacity.limit", () => Volatile.Read(ref capacity), "{task}", "How many tasks the worker runs at once at most.");
    }

    internal void CapacityIs(int limit) => Volatile.Write(ref capacity, limit);

    internal void RunStarted() => running.Add(1);

    internal void RunEnded() => running.Add(-1);

    internal void Claimed(int count, TimeSpan latency)
    {
        claims.Add(count);
        claimLatency.Record(latency.TotalMilliseconds);
    }

    internal void Resolved(string state, string? reason, TimeSpan duration)
    {
        resolutions.Add(1, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("reason", reason ?? state));
        runDuration.Record(duration.TotalSeconds);
    }

    internal void ReclaimFailed() => reclaimFailures.Add(1);

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
