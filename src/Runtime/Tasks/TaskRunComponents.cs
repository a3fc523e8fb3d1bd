using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Tasks;

/// <summary>An enabled plugin and the name it was configured under.</summary>
/// <param name="Name">The plugin's name, e.g. <c>env</c>.</param>
/// <param name="Plugin">The plugin, created once per worker.</param>
public sealed record NamedPlugin(string Name, IPlugin Plugin);

/// <summary>What every run of one worker shares: the engine and the enabled plugins, in order.</summary>
/// <param name="EngineName">The engine's name, e.g. <c>native</c>.</param>
/// <param name="Engine">The engine, created once per worker.</param>
/// <param name="Plugins">The enabled plugins in configuration order; hooks run concurrently, disposal in reverse.</param>
public sealed record TaskRunComponents(string EngineName, IEngine Engine, IReadOnlyList<NamedPlugin> Plugins);
