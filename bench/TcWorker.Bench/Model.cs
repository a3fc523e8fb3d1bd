using System.Globalization;

namespace TcWorker.Bench;

/// <summary>How many of everything one run measures.</summary>
internal sealed record BenchOptions
{
    public int OverheadTasks { get; init; } = 500;

    public int ThroughputTasks { get; init; } = 200;

    public IReadOnlyList<int> Capacities { get; init; } = [1, 4, 16];

    public int PickupTasks { get; init; } = 30;

    /// <summary>Counts of figures 1 to 3 with a throwaway OS user per task (creating and deleting a user is slow).</summary>
    public int UserTasks { get; init; } = 100;

    public IReadOnlyList<int> UserCapacities { get; init; } = [1, 4, 16];

    public int UserPickups { get; init; } = 15;

    /// <summary>Rounds of the createUser cost (figure 11), each with and without, back to back and spaced; <see cref="UserPickups"/> tasks per kind and round.</summary>
    public int UserCostRounds { get; init; } = 3;

    public int MemoryTasks { get; init; } = 16;

    public int StartupRuns { get; init; } = 7;

    public TimeSpan LifecycleDuration { get; init; } = TimeSpan.FromSeconds(10);

    public int LifecycleClients { get; init; } = 4;

    /// <summary>Bytes a task writes to its log for the log throughput figure.</summary>
    public long LogBytes { get; init; } = 1L << 30;

    /// <summary>Interleaved rounds of the log figure (each: the bare pipe, the task, curl of its bytes; then a masked and an unmasked text log).</summary>
    public int LogRuns { get; init; } = 3;

    /// <summary>Bytes of text log the masking cost is measured on.</summary>
    public long MaskingBytes { get; init; } = 256L << 20;

    /// <summary>Size of the artifact the upload figure uploads, and how many interleaved rounds.</summary>
    public long UploadBytes { get; init; } = 1L << 30;

    public int UploadRuns { get; init; } = 3;

    /// <summary>Resolved tasks in the local queue for the growth figure, large and small, and how many claimWork calls are timed on each.</summary>
    public int GrowthLargeHistory { get; init; } = 100_000;

    public int GrowthSmallHistory { get; init; } = 1_000;

    public int GrowthClaims { get; init; } = 50;

    /// <summary>The capacities compared by the growth figure (small first), the task's sleep, and how many tasks per slot.</summary>
    public IReadOnlyList<int> GrowthCapacities { get; init; } = [4, 64];

    public string GrowthSleep { get; init; } = "1";

    public int GrowthRounds { get; init; } = 2;

    /// <summary>Size of the generated file the real job compresses, and how many interleaved runs.</summary>
    public int JobBytes { get; init; } = 8 << 20;

    public int JobRuns { get; init; } = 5;

    /// <summary>Tasks in the queue of the dashboard's task list figure, page loads timed, and bytes of the live-log view figure.</summary>
    public int DashboardTasks { get; init; } = 10_000;

    public int DashboardLoads { get; init; } = 9;

    public long DashboardLogBytes { get; init; } = 64L << 20;

    /// <summary>Docker tasks (and bare <c>docker run</c>s) of the docker overhead figure.</summary>
    public int DockerTasks { get; init; } = 30;

    /// <summary>Bytes of container output of the docker log figure.</summary>
    public long DockerLogBytes { get; init; } = 1L << 30;

    /// <summary>Size of the warm cache, of the archive's content, and interleaved runs of the mounts figure.</summary>
    public long MountCacheBytes { get; init; } = 1L << 30;

    public long MountArchiveBytes { get; init; } = 100L << 20;

    public int MountRuns { get; init; } = 5;

    /// <summary>Signed pings timed through the taskcluster proxy, and as many directly, interleaved.</summary>
    public int ProxyPings { get; init; } = 2000;

    /// <summary>Keystrokes timed by the shell round trip figure.</summary>
    public int ShellKeystrokes { get; init; } = 1000;

    /// <summary>The fleet figure: workers (at capacity 4) and tasks of the native fleet, and of the smaller Docker and createUser fleets.</summary>
    public int FleetWorkers { get; init; } = 20;

    public int FleetTasks { get; init; } = 5000;

    public int FleetSmallWorkers { get; init; } = 4;

    public int FleetSmallTasks { get; init; } = 200;

    /// <summary>The xz preset of the real job.</summary>
    public string JobLevel { get; init; } = "-9";

    /// <summary>Scales the pauses that let a process settle before it is measured (idle memory, the worker back in its long poll).</summary>
    public double SettleScale { get; init; } = 1;

    public TimeSpan Settle(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds * SettleScale);

    public static BenchOptions Full { get; } = new();

    public static BenchOptions Quick { get; } = new() { OverheadTasks = 20, ThroughputTasks = 32, PickupTasks = 8, StartupRuns = 3, UserTasks = 16, UserCapacities = [4], UserPickups = 4, UserCostRounds = 2, LifecycleDuration = TimeSpan.FromSeconds(3), LogBytes = 64L << 20, LogRuns = 1, MaskingBytes = 32L << 20, UploadBytes = 64L << 20, UploadRuns = 1, GrowthLargeHistory = 20_000, GrowthClaims = 20, GrowthCapacities = [4, 32], GrowthRounds = 1, JobBytes = 1 << 20, JobRuns = 3, DockerTasks = 8, DockerLogBytes = 64L << 20, MountCacheBytes = 128L << 20, MountArchiveBytes = 16L << 20, MountRuns = 3, ProxyPings = 300, ShellKeystrokes = 200, DashboardTasks = 10_000, DashboardLoads = 3, DashboardLogBytes = 8L << 20, FleetWorkers = 8, FleetTasks = 500, FleetSmallWorkers = 2, FleetSmallTasks = 40 };

    /// <summary>Tiny counts for the test suite: every figure once, a few seconds in all, numbers meaningless.</summary>
    public static BenchOptions Smoke { get; } = new() { OverheadTasks = 3, ThroughputTasks = 4, Capacities = [1, 4], PickupTasks = 2, MemoryTasks = 2, StartupRuns = 1, UserTasks = 2, UserCapacities = [2], UserPickups = 1, UserCostRounds = 1, LifecycleDuration = TimeSpan.FromSeconds(0.5), SettleScale = 0.25, LogBytes = 1 << 20, LogRuns = 1, MaskingBytes = 1 << 20, UploadBytes = 1 << 20, UploadRuns = 1, GrowthLargeHistory = 40, GrowthSmallHistory = 20, GrowthClaims = 2, GrowthCapacities = [1, 2], GrowthSleep = "0.1", GrowthRounds = 1, JobBytes = 64 << 10, JobRuns = 1, DockerTasks = 2, DockerLogBytes = 1 << 20, MountCacheBytes = 1 << 20, MountArchiveBytes = 1 << 20, MountRuns = 1, ProxyPings = 5, ShellKeystrokes = 5, DashboardTasks = 60, DashboardLoads = 1, DashboardLogBytes = 1 << 20, FleetWorkers = 2, FleetTasks = 8, FleetSmallWorkers = 1, FleetSmallTasks = 2 };
}

/// <summary>One measured figure next to its raw baseline, measured in the same run.</summary>
/// <param name="Name">What is measured.</param>
/// <param name="Unit">The unit of the value and of the baseline.</param>
/// <param name="Value">The figure.</param>
/// <param name="Baseline">The raw baseline (the same work with no worker).</param>
/// <param name="Ratio">Value over baseline, or however the figure defines it (see docs/benchmarks.md).</param>
/// <param name="Goal">The goal, in words.</param>
/// <param name="Met">Whether the goal is met.</param>
/// <param name="MayBeZero">A difference that may come out zero or negative at tiny counts (memory growth).</param>
internal sealed record Figure(string Name, string Unit, double Value, double Baseline, double Ratio, string Goal, bool Met, bool MayBeZero = false);

internal static class Stats
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Format(double value) =>
        double.IsNaN(value) ? "-" : Math.Abs(value) >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("F2", CultureInfo.InvariantCulture);
}
