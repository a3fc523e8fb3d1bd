using System.Globalization;
using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Shared;

/// <summary>Config values and schema parts common to the process engines.</summary>
internal static class ProcessEngineSettings
{
    public const string GracePeriodKey = "killGracePeriodSeconds";

    public static JObject GracePeriodSchema => new()
    {
        ["type"] = "number",
        ["minimum"] = 0,
        ["default"] = 5,
        ["description"] = "Seconds a task's processes get between SIGTERM and SIGKILL when the task is aborted (canceled, deadline, worker shutdown) or leaves processes behind. A kill (max run time) brings its own grace period.",
    };

    public const string MaxProcessesKey = "maxProcesses";

    /// <summary>The default limit on a task's processes and threads: far above any build's, far below the host's.</summary>
    public const int DefaultMaxProcesses = 10000;

    public static JObject MaxProcessesSchema => new()
    {
        ["type"] = "integer",
        ["minimum"] = 1,
        ["default"] = DefaultMaxProcesses,
        ["description"] = "The most processes and threads one task may have at once (Linux, with control groups: the pids controller enforces it, also for root). A task that reaches it is stopped and fails: a fork bomb ends there, and the worker and the other tasks carry on.",
    };

    public static int MaxProcesses(JObject config) => config[MaxProcessesKey]?.Value<int>() ?? DefaultMaxProcesses;

    public static TimeSpan GracePeriod(JObject config) =>
        TimeSpan.FromSeconds(config[GracePeriodKey]?.Value<double>() ?? 5);

    /// <summary>A random marker for the task's processes (128 bits).</summary>
    public static string NewMarker() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
