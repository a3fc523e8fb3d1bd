namespace TcWorker.Engines;

/// <summary>What holds a task's processes (see <see cref="ProcessContainment"/>).</summary>
public enum ProcessContainmentKind
{
    /// <summary>No control group could be used: only the engine's own means remain (see <see cref="ProcessContainment.Description"/>).</summary>
    None,

    /// <summary>Per-task control groups of cgroup v1: the freezer hierarchy holds them, the pids hierarchy (when mounted) limits them.</summary>
    CgroupV1,

    /// <summary>Per-task control groups of the unified hierarchy (cgroup v2).</summary>
    CgroupV2,
}
