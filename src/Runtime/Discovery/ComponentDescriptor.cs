using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Discovery;

/// <summary>Whether a component is an engine or a plugin.</summary>
public enum ComponentKind
{
    /// <summary>An engine (<see cref="IEngineProvider"/>).</summary>
    Engine,

    /// <summary>A plugin (<see cref="IPluginProvider"/>).</summary>
    Plugin,
}

/// <summary>
/// One engine or plugin the runtime knows of, loaded or not. A component with an
/// <see cref="Error"/> cannot be enabled; the worker refuses to start only when the config enables it.
/// </summary>
public sealed record ComponentDescriptor
{
    /// <summary>The source of components registered in code.</summary>
    public const string InCodeSource = "in-code";

    /// <summary>The component's name; for a folder that failed before its provider could be asked, the folder's name in lowercase.</summary>
    public required string Name { get; init; }

    /// <summary>Engine or plugin; <see langword="null"/> when the folder failed before that was known.</summary>
    public ComponentKind? Kind { get; init; }

    /// <summary>The component's version (its assembly's informational version), when known.</summary>
    public string? Version { get; init; }

    /// <summary>The plugin folder it came from, or <see cref="InCodeSource"/>.</summary>
    public required string Source { get; init; }

    /// <summary>The main assembly's file, for folder components.</summary>
    public string? AssemblyPath { get; init; }

    /// <summary>The contract version (major.minor) the component was built against, when known.</summary>
    public Version? ContractVersion { get; init; }

    /// <summary>Why the component cannot be used, or <see langword="null"/> when it loaded.</summary>
    public string? Error { get; init; }

    /// <summary>The engine provider, when this is a loaded engine.</summary>
    public IEngineProvider? EngineProvider { get; init; }

    /// <summary>The plugin provider, when this is a loaded plugin.</summary>
    public IPluginProvider? PluginProvider { get; init; }

    /// <summary>Whether the component loaded and can be enabled.</summary>
    public bool IsLoaded => Error is null;
}
