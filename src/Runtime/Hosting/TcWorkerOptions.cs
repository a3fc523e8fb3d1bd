namespace TcWorker.Runtime.Hosting;

/// <summary>Where the runtime looks for engine and plugin folders.</summary>
public sealed class TcWorkerOptions
{
    /// <summary>Directories whose subfolders are plugin folders, searched in order.</summary>
    public IList<string> PluginDirectories { get; } = [];

    /// <summary>Whether to also search <c>plugins/</c> next to the running binary. Default: true.</summary>
    public bool IncludeDefaultPluginDirectory { get; set; } = true;

    /// <summary>The <c>plugins/</c> directory next to the running binary.</summary>
    public static string DefaultPluginDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The directories to search, defaults included.</summary>
    /// <returns>The directories, in search order.</returns>
    public IReadOnlyList<string> EffectiveDirectories() =>
        (IncludeDefaultPluginDirectory ? [DefaultPluginDirectory, .. PluginDirectories] : PluginDirectories.ToList());
}
