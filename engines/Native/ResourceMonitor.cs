using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Tasks;

namespace TcWorker.Engines.Native;

/// <summary>
/// The native engine's thresholds for generic-worker's <c>features.resourceMonitor</c>, with its config
/// names: a command is aborted when the host's used memory is above <see cref="MaxMemoryUsagePercent"/>
/// and its available memory below <see cref="MinAvailableMemoryBytes"/>, both for longer than
/// <see cref="AllowedHighMemoryDuration"/>, unless <see cref="DisableOomProtection"/>.
/// </summary>
internal sealed record ResourceMonitorSettings(bool DisableOomProtection, double MaxMemoryUsagePercent, long MinAvailableMemoryBytes, TimeSpan AllowedHighMemoryDuration, TimeSpan Interval)
{
    public static JObject Schema => JObject.Parse("""
        {
          "type": "object",
          "additionalProperties": false,
          "description": "Thresholds of the resource monitor (the payload's features.resourceMonitor, on by default), with generic-worker's names.",
          "properties": {
            "disableOOMProtection": { "type": "boolean", "default": false, "description": "Only report memory use; never abort a command for it." },
            "maxMemoryUsagePercent": { "type": "number", "minimum": 0, "maximum": 100, "default": 90, "description": "Used memory above this percentage of the host's total counts as pressure (together with minAvailableMemoryBytes)." },
            "minAvailableMemoryBytes": { "type": "integer", "minimum": 0, "default": 524288000, "description": "Available memory below this counts as pressure (together with maxMemoryUsagePercent)." },
            "allowedHighMemoryDuration": { "type": "number", "minimum": 0, "default": 5, "description": "Seconds of continuous pressure after which the running command is aborted and the task fails." },
            "sampleIntervalSeconds": { "type": "number", "exclusiveMinimum": 0, "default": 0.5, "description": "Seconds between two readings of the host's memory." }
          }
        }
        """);

    public static ResourceMonitorSettings FromConfig(JToken? config) => new(
        config?["disableOOMProtection"]?.Value<bool>() ?? false,
        config?["maxMemoryUsagePercent"]?.Value<double>() ?? 90,
        config?["minAvailableMemoryBytes"]?.Value<long>() ?? 524288000,
        TimeSpan.FromSeconds(config?["allowedHighMemoryDuration"]?.Value<double>() ?? 5),
        TimeSpan.FromSeconds(config?["sampleIntervalSeconds"]?.Value<double>() ?? 0.5));
}

/// <summary>
/// Watches the host's memory while one command runs (Linux, /proc/meminfo): reports peak and average use
/// in the task log when the command ends, and calls <c>abort</c> once under sustained pressure.
/// </summary>
internal sealed class ResourceMonitor : IAsyncDisposable
{
    private const string MemInfo = "/proc/meminfo";
    private readonly ResourceMonitorSettings settings;
    private readonly ITaskLog log;
    private readonly TimeProvider time;
    private readonly Func<Task> abort;
    private readonly ITimer timer;
    private readonly Lock gate = new();
    private long total;
    private long peakUsed;
    private double sumUsed;
    private double sumAvailable;
    private int samples;
    private long? pressureSince;
    private bool aborted;

    private ResourceMonitor(ResourceMonitorSettings settings, ITaskLog log, TimeProvider time, Func<Task> abort)
    {
        this.settings = settings;
        this.log = log;
        this.time = time;
        this.abort = abort;
        Sample();
        timer = time.CreateTimer(_ => Sample(), null, settings.Interval, settings.Interval);
    }

    /// <summary>Whether it aborted the command.</summary>
    public bool Aborted
    {
        get
        {
            lock (gate)
            {
                return aborted;
            }
        }
    }

    /// <summary>Starts watching, or returns null (with a line in the log) where the host's memory cannot be read.</summary>
    public static ResourceMonitor? Start(ResourceMonitorSettings settings, ITaskLog log, TimeProvider time, Func<Task> abort)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(MemInfo))
        {
            log.WriteLine("[resource monitor] the host's memory cannot be read here (no /proc/meminfo); memory is neither reported nor watched");
            return null;
        }

        return new ResourceMonitor(settings, log, time, abort);
    }

    /// <summary>Stops watching and writes the command's memory report.</summary>
    public async ValueTask DisposeAsync()
    {
        await timer.DisposeAsync().ConfigureAwait(false);
        lock (gate)
        {
            if (samples == 0)
            {
                return;
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[resource monitor] peak system memory used: {Mib(peakUsed)}; average system memory used: {Mib(sumUsed / samples)}; average available system memory: {Mib(sumAvailable / samples)}; total system memory: {Mib(total)}"));
        }
    }

    private static string Mib(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024):0.0} MiB");

    private void Sample()
    {
        if (!TryRead(out var totalBytes, out var available))
        {
            return;
        }

        var used = totalBytes - available;
        bool abortNow;
        lock (gate)
        {
            total = totalBytes;
            peakUsed = Math.Max(peakUsed, used);
            sumUsed += used;
            sumAvailable += available;
            samples++;
            var pressure = totalBytes > 0 && used * 100.0 / totalBytes > settings.MaxMemoryUsagePercent && available < settings.MinAvailableMemoryBytes;
            var now = time.GetTimestamp();
            pressureSince = pressure ? pressureSince ?? now : null;
            abortNow = pressure && !aborted && !settings.DisableOomProtection && time.GetElapsedTime(pressureSince!.Value, now) >= settings.AllowedHighMemoryDuration;
            aborted |= abortNow;
        }

        if (abortNow)
        {
            log.WriteErrorLine(string.Create(CultureInfo.InvariantCulture,
                $"[resource monitor] the host has been short of memory for {settings.AllowedHighMemoryDuration.TotalSeconds:0.#} seconds (used {Mib(used)} of {Mib(totalBytes)}, above {settings.MaxMemoryUsagePercent}%; available {Mib(available)}, below {Mib(settings.MinAvailableMemoryBytes)}): the command is aborted and the task fails"));
            _ = abort();
        }
    }

    private static bool TryRead(out long totalBytes, out long available)
    {
        totalBytes = available = -1;
        try
        {
            foreach (var line in File.ReadLines(MemInfo))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    totalBytes = Kib(line);
                }
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    available = Kib(line);
                }
            }
        }
        catch (IOException)
        {
            return false;
        }

        return totalBytes > 0 && available >= 0;
    }

    private static long Kib(string line) =>
        long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib * 1024 : -1;
}
