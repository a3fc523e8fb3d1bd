namespace TcWorker.Engines;

/// <summary>
/// What an engine can do, declared up front. The runtime never runs more tasks at once than
/// <see cref="MaxConcurrency"/>; the conformance kit skips the cases of undeclared features and
/// fails a declared feature that does not work.
/// </summary>
public sealed record EngineCapabilities
{
    /// <summary>The most tasks the engine runs at once; 0 means unbounded.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>The optional features the engine implements.</summary>
    public EngineFeatures Features { get; init; }

    /// <summary>Tells whether every feature in <paramref name="features"/> is declared.</summary>
    /// <param name="features">One or more features.</param>
    /// <returns><see langword="true"/> when all are supported.</returns>
    public bool Supports(EngineFeatures features) => (Features & features) == features;
}

/// <summary>Optional engine features.</summary>
[Flags]
public enum EngineFeatures
{
    /// <summary>Nothing optional.</summary>
    None = 0,

    /// <summary><see cref="ISandboxBuilder.SetEnvironmentVariable"/> works.</summary>
    EnvironmentVariables = 1,

    /// <summary>Files and folders can be read from the result set.</summary>
    Artifacts = 2,

    /// <summary><see cref="ISandbox.KillAsync(TimeSpan)"/> ends the task with an unsuccessful result.</summary>
    Kill = 4,

    /// <summary>Volumes can be created and attached.</summary>
    Volumes = 8,

    /// <summary>HTTP proxies can be attached for the task to reach.</summary>
    Proxies = 16,

    /// <summary>Interactive shells can be opened in a running sandbox.</summary>
    Shells = 32,

    /// <summary>Displays (VNC) can be listed and opened.</summary>
    Displays = 64,

    /// <summary>
    /// A sandbox gives a <see cref="ISandbox.ReattachToken"/> and <see cref="IEngine.ReattachAsync"/>
    /// finds it again after a worker restart.
    /// </summary>
    Reattach = 128,

    /// <summary><see cref="VolumeEntryOptions.OwnerId"/> and <see cref="VolumeEntryOptions.GroupId"/> are applied by volume builders.</summary>
    VolumeOwners = 256,
}
