using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Tasks;

/// <summary>An enabled plugin and the name it was configured under.</summary>
/// <param name="Name">The plugin's name, e.g. <c>env</c>.</param>
/// <param name="Plugin">The plugin, created once per worker.</param>
public sealed record NamedPlugin(string Name, IPlugin Plugin);

/// <summary>An enabled engine and the name it was configured under.</summary>
/// <param name="Name">The engine's name, e.g. <c>native</c>.</param>
/// <param name="Engine">The engine, created once per worker.</param>
public sealed record NamedEngine(string Name, IEngine Engine);

/// <summary>
/// What every run of one worker shares: the engines and the enabled plugins, in config order, and the
/// payload schema composed from them. With several engines, each task runs on the one whose branch of
/// the payload schema its payload matches. The caller owns the engines and plugins and disposes them.
/// Thread-safe.
/// </summary>
public sealed class TaskRunComponents
{
    private readonly Lazy<TaskPayloadSchema> payloadSchema;

    /// <summary>Creates the components of a worker with one or more engines. Throws <see cref="ArgumentException"/> without an engine or with a name twice.</summary>
    /// <param name="engines">The engines, in config order.</param>
    /// <param name="plugins">The enabled plugins in config order; hooks run concurrently, disposal in reverse.</param>
    public TaskRunComponents(IReadOnlyList<NamedEngine> engines, IReadOnlyList<NamedPlugin> plugins)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(plugins);
        if (engines.Count == 0)
        {
            throw new ArgumentException("A worker needs at least one engine.", nameof(engines));
        }

        if (engines.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"The engine name '{twice.Key}' is given more than once.", nameof(engines));
        }

        Engines = engines;
        Plugins = plugins;
        payloadSchema = new Lazy<TaskPayloadSchema>(() => TaskPayloadSchema.Compose(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Creates the components of a worker with one engine.</summary>
    /// <param name="engineName">The engine's name, e.g. <c>native</c>.</param>
    /// <param name="engine">The engine, created once per worker.</param>
    /// <param name="plugins">The enabled plugins in config order; hooks run concurrently, disposal in reverse.</param>
    public TaskRunComponents(string engineName, IEngine engine, IReadOnlyList<NamedPlugin> plugins)
        : this([new NamedEngine(engineName, engine)], plugins)
    {
    }

    /// <summary>The engines, in config order (at least one).</summary>
    public IReadOnlyList<NamedEngine> Engines { get; }

    /// <summary>The enabled plugins in config order; hooks run concurrently, disposal in reverse.</summary>
    public IReadOnlyList<NamedPlugin> Plugins { get; }

    /// <summary>
    /// The task payload schema composed from the engines and plugins, built on first use and kept.
    /// Throws <see cref="Schemas.SchemaCompositionException"/> (every time) when they do not compose.
    /// </summary>
    public TaskPayloadSchema PayloadSchema => payloadSchema.Value;

    /// <summary>
    /// The most tasks the engines run at once together: the sum of their
    /// <see cref="EngineCapabilities.MaxConcurrency"/>, or 0 (unbounded) when any engine is unbounded.
    /// Each engine's own limit still holds for its own tasks (a task waits for a free slot of its engine).
    /// </summary>
    public int MaxConcurrency =>
        Engines.Select(e => e.Engine.Capabilities.MaxConcurrency).Aggregate(0L, (sum, limit) => sum < 0 || limit <= 0 ? -1 : sum + limit) is var total and > 0
            ? (int)Math.Min(total, int.MaxValue)
            : 0;
}
