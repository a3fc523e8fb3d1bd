namespace TcWorker;

/// <summary>
/// The version of the TcWorker contracts that this assembly defines. The runtime loads an engine or
/// plugin built against the same major version and a minor version no newer than this one.
/// </summary>
public static class ContractVersion
{
    /// <summary>The contract version (major.minor) of the loaded TcWorker.Abstractions assembly.</summary>
    public static Version Current { get; } = Normalize(typeof(ContractVersion).Assembly.GetName().Version);

    /// <summary>The name of the assembly that carries the contracts.</summary>
    public const string AssemblyName = "TcWorker.Abstractions";

    /// <summary>
    /// Tells whether a component built against <paramref name="builtAgainst"/> can be loaded by a
    /// runtime that speaks <paramref name="runtime"/>: same major version, minor not newer.
    /// </summary>
    /// <param name="builtAgainst">The contract version the component references.</param>
    /// <param name="runtime">The contract version of the running host.</param>
    /// <returns><see langword="true"/> when the component can be loaded.</returns>
    public static bool IsCompatible(Version builtAgainst, Version runtime)
    {
        ArgumentNullException.ThrowIfNull(builtAgainst);
        ArgumentNullException.ThrowIfNull(runtime);
        return builtAgainst.Major == runtime.Major && builtAgainst.Minor <= runtime.Minor;
    }

    /// <summary>Reduces an assembly version to its major.minor contract version.</summary>
    /// <param name="version">An assembly version, or <see langword="null"/> for 0.0.</param>
    /// <returns>A version with only major and minor set.</returns>
    public static Version Normalize(Version? version) => version is null ? new Version(0, 0) : new Version(version.Major, version.Minor);
}
