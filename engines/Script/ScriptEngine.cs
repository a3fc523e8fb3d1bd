using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Engines.Script;

/// <summary>The script engine. Thread-safe; unbounded concurrency.</summary>
internal sealed class ScriptEngine : IEngine
{
    private readonly IWorkerEnvironment environment;
    private readonly string[] command;
    private readonly JObject schema;
    private readonly string tasksFolder;
    private readonly TimeSpan gracePeriod;

    private ScriptEngine(IWorkerEnvironment environment, string[] command, JObject schema, string tasksFolder, TimeSpan gracePeriod)
    {
        this.environment = environment;
        this.command = command;
        this.schema = schema;
        this.tasksFolder = tasksFolder;
        this.gracePeriod = gracePeriod;
    }

    public EngineCapabilities Capabilities { get; } = new()
    {
        MaxConcurrency = 0,
        Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts | EngineFeatures.Kill,
    };

    public JObject PayloadSchema => (JObject)schema.DeepClone();

    public IReadOnlyList<DocSection> Documentation => ScriptDocumentation.Sections;

    public static ScriptEngine Create(EngineOptions options)
    {
        var config = options.Config;
        var command = (config["command"] as JArray)?.Select(t => t.Value<string>() ?? string.Empty).ToArray() ?? [];
        if (command.Length == 0 || command[0].Length == 0)
        {
            throw new FatalInternalException("The script engine's config needs a command.");
        }

        var baseDirectory = Path.GetFullPath(config["workingDirectory"]?.Value<string>() ?? Environment.CurrentDirectory);
        if (command[0].Contains('/', StringComparison.Ordinal) || command[0].Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            command[0] = Path.GetFullPath(command[0], baseDirectory);
        }

        if (ProcessLauncher.Resolve(command[0], baseDirectory, null) is null)
        {
            throw new FatalInternalException($"The script engine's command '{command[0]}' is not an executable file.");
        }

        var tasksFolder = Path.Combine(options.Environment.Storage.Root, "tcw-script");
        TaskWorkspace.PrepareParentAsync(tasksFolder, users: null).GetAwaiter().GetResult();
        var schema = config["schema"] as JObject ?? new JObject { ["type"] = "object" };
        return new ScriptEngine(options.Environment, command, schema, tasksFolder, ProcessEngineSettings.GracePeriod(config));
    }

    public async Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var workspace = await TaskWorkspace.CreateAsync(tasksFolder, users: null, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(workspace.Directory, "artifacts"));
        var defaults = new Dictionary<string, string>
        {
            ["HOME"] = workspace.Directory,
            ["PATH"] = TaskEnvironment.DefaultPath,
            ["USER"] = Environment.UserName,
        };
        var forced = new Dictionary<string, string>
        {
            ["TASK_ID"] = options.Task.TaskId,
            ["RUN_ID"] = ProcessEngineSettings.Format(options.Task.RunId),
            [ProcessReaper.MarkerVariable] = ProcessEngineSettings.NewMarker(),
        };
        var input = System.Text.Encoding.UTF8.GetBytes(options.Payload.ToString(Newtonsoft.Json.Formatting.None));
        return new ProcessSandboxBuilder(
            workspace,
            new TaskEnvironment(defaults, forced),
            env => new ScriptSandbox(command, input, new ProcessSandboxOptions(workspace, env, options.Task.Log, gracePeriod, environment.Time)));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
