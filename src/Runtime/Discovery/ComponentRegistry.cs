using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Discovery;

/// <summary>
/// Every engine and plugin the runtime knows of, from plugin folders and in-code registration
/// alike. Immutable and thread-safe.
/// </summary>
public sealed class ComponentRegistry
{
    /// <summary>Creates a registry. Duplicate names among loaded components are marked as errors on every copy.</summary>
    /// <param name="components">The components found.</param>
    public ComponentRegistry(IEnumerable<ComponentDescriptor> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        var list = components.ToList();
        var duplicates = list.Where(c => c.IsLoaded)
            .GroupBy(c => c.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        Components = list.Select(c => c.IsLoaded && duplicates.TryGetValue(c.Name, out var same)
                ? c with
                {
                    Error = $"the name '{c.Name}' is provided more than once: by {string.Join(" and by ", same.Select(Describe))}; remove all but one",
                    EngineProvider = null,
                    PluginProvider = null,
                }
                : c)
            .OrderBy(c => c.Kind)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every component, engines first, then by name.</summary>
    public IReadOnlyList<ComponentDescriptor> Components { get; }

    /// <summary>The names of the engines that loaded.</summary>
    public IReadOnlyList<string> EngineNames => LoadedNames(ComponentKind.Engine);

    /// <summary>The names of the plugins that loaded.</summary>
    public IReadOnlyList<string> PluginNames => LoadedNames(ComponentKind.Plugin);

    /// <summary>Finds a loaded engine, or explains why it cannot be used.</summary>
    /// <param name="name">The engine's name.</param>
    /// <param name="provider">The provider, when found.</param>
    /// <param name="error">Why not, naming the available engines or the folder that failed.</param>
    /// <returns><see langword="true"/> when the engine can be used.</returns>
    public bool TryGetEngine(string name, out IEngineProvider? provider, out string? error)
    {
        var found = Find(name, ComponentKind.Engine, out error);
        provider = found?.EngineProvider;
        return provider is not null;
    }

    /// <summary>Finds a loaded plugin, or explains why it cannot be used.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="provider">The provider, when found.</param>
    /// <param name="error">Why not, naming the available plugins or the folder that failed.</param>
    /// <returns><see langword="true"/> when the plugin can be used.</returns>
    public bool TryGetPlugin(string name, out IPluginProvider? provider, out string? error)
    {
        var found = Find(name, ComponentKind.Plugin, out error);
        provider = found?.PluginProvider;
        return provider is not null;
    }

    private ComponentDescriptor? Find(string name, ComponentKind kind, out string? error)
    {
        var kindName = kind == ComponentKind.Engine ? "engine" : "plugin";
        var candidates = Components.Where(c => string.Equals(c.Name, name, StringComparison.Ordinal) && (c.Kind == kind || c.Kind is null)).ToList();
        var loaded = candidates.FirstOrDefault(c => c.IsLoaded && c.Kind == kind);
        if (loaded is not null)
        {
            error = null;
            return loaded;
        }

        var failed = candidates.FirstOrDefault(c => !c.IsLoaded);
        if (failed is not null)
        {
            error = $"the {kindName} '{name}' cannot be used: {Describe(failed)}: {failed.Error}";
            return null;
        }

        var available = LoadedNames(kind);
        error = $"there is no {kindName} named '{name}'; available {kindName}s: {(available.Count == 0 ? "none" : string.Join(", ", available))}";
        var broken = Components.Where(c => !c.IsLoaded && c.Kind is null).ToList();
        if (broken.Count > 0)
        {
            error += $" (plugin folders that failed to load: {string.Join(", ", broken.Select(Describe))}; run 'tc-worker plugins' for details)";
        }

        return null;
    }

    private List<string> LoadedNames(ComponentKind kind) =>
        Components.Where(c => c.IsLoaded && c.Kind == kind).Select(c => c.Name).Distinct(StringComparer.Ordinal).ToList();

    private static string Describe(ComponentDescriptor c) => c.Source == ComponentDescriptor.InCodeSource
        ? $"in-code registration ({c.EngineProvider?.GetType().FullName ?? c.PluginProvider?.GetType().FullName ?? c.Name})"
        : $"folder {c.Source}" + (c.AssemblyPath is null ? string.Empty : $" ({Path.GetFileName(c.AssemblyPath)})");
}
