using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Engines.Native;

/// <summary>The native engine. Thread-safe; unbounded concurrency.</summary>
internal sealed partial class NativeEngine : IEngine
{
    private readonly IWorkerEnvironment environment;
    private readonly string tasksFolder;
    private readonly TaskUsers? users;
    private readonly PreparedTaskUsers? preparedUsers;
    private readonly TimeSpan gracePeriod;
    private readonly VolumeStore? volumes;
    private readonly ProxyListener proxies;
    private readonly ProcessContainment containment;
    private readonly int? maxProcesses;
    private readonly ResourceMonitorSettings resourceMonitor;

    private NativeEngine(IWorkerEnvironment environment, string tasksFolder, TaskUsers? users, TimeSpan gracePeriod, VolumeStore? volumes, ProcessContainment containment, int? maxProcesses, ResourceMonitorSettings resourceMonitor, ILogger logger)
    {
        this.resourceMonitor = resourceMonitor;
        this.containment = containment;
        this.maxProcesses = maxProcesses;
        this.environment = environment;
        this.tasksFolder = tasksFolder;
        this.users = users;
        if (users is not null)
        {
            // The next task's user is made while the current task runs (useradd and userdel are slow).
            preparedUsers = new PreparedTaskUsers(tasksFolder, users, logger);
            preparedUsers.Start();
        }

        this.gracePeriod = gracePeriod;
        this.volumes = volumes;
        proxies = new ProxyListener(logger);
        Capabilities = new()
        {
            MaxConcurrency = 0,
            Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts | EngineFeatures.Kill | EngineFeatures.Proxies
                | (volumes is null ? EngineFeatures.None : EngineFeatures.Volumes)
                | (OperatingSystem.IsLinux() ? EngineFeatures.Shells : EngineFeatures.None),
        };
    }

    public EngineCapabilities Capabilities { get; }

    public JObject PayloadSchema => WithGenericWorkerKeys(new()
    {
        ["type"] = "object",
        ["properties"] = new JObject
        {
            ["command"] = new JObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["description"] = "The commands to run, in order, each an argv array executed without a shell (use [\"bash\", \"-c\", \"...\"] for one). The first non-zero exit code stops the task and fails it.",
                ["items"] = new JObject
                {
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["items"] = new JObject { ["type"] = "string" },
                },
            },
        },
        ["required"] = new JArray("command"),
    });

    public IReadOnlyList<DocSection> Documentation => NativeDocumentation.Sections;

    public JObject VolumeSchema => VolumeStore.ConfigSchema;

    public static NativeEngine Create(EngineOptions options)
    {
        var createUser = options.Config["createUser"]?.Value<bool>() ?? false;
        if (createUser && !OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            throw new FatalInternalException("The native engine's createUser option needs the worker to run as root.");
        }

        var tasksFolder = Path.Combine(options.Environment.Storage.Root, "tcw-native");
        // Created also without createUser: a crashed run with it may have left users behind.
        var users = new TaskUsers(tasksFolder, options.Logger, options.Environment.Time);
        var (leftoverUsers, leftoverFolders) = TaskWorkspace.PrepareParentAsync(tasksFolder, users).GetAwaiter().GetResult();
        if (leftoverUsers + leftoverFolders > 0)
        {
            LogLeftovers(options.Logger, leftoverUsers, leftoverFolders);
        }

        if (createUser && !AncestorsTraversable(tasksFolder))
        {
            LogNotTraversable(options.Logger, tasksFolder);
        }

        // Volumes are folders of the worker's temporary storage, handed between task users by owner changes (Linux).
        var volumes = OperatingSystem.IsLinux() ? CreateVolumeStore(options.Environment.Storage.CreateFolder("native-volumes"), createUser, options.Logger) : null;
        var containment = Contain(tasksFolder, createUser, options);
        return new NativeEngine(
            options.Environment, tasksFolder, createUser ? users : null, ProcessEngineSettings.GracePeriod(options.Config), volumes, containment,
            ProcessEngineSettings.MaxProcesses(options.Config), ResourceMonitorSettings.FromConfig(options.Config["resourceMonitor"]), options.Logger);
    }

    /// <summary>With task users, writable volumes are idmapped mounts where the host allows them, and change owner on every attach where not.</summary>
    private static VolumeStore CreateVolumeStore(string folder, bool createUser, ILogger logger)
    {
        if (!createUser)
        {
            return new VolumeStore(folder);
        }

        if (IdMappedMounts.Probe(folder, out var reason))
        {
            LogVolumesMapped(logger);
            return new VolumeStore(folder, mapsIds: true);
        }

        LogVolumesNotMapped(logger, reason);
        return new VolumeStore(folder);
    }

    /// <summary>Finds the host's control groups, says what holds the tasks' processes, and removes the groups a crashed run left.</summary>
    private static ProcessContainment Contain(string tasksFolder, bool createUser, EngineOptions options)
    {
        // Scoped by the task folder: another worker on this host (another storage root) keeps its groups.
        var containment = ProcessContainment.Create(tasksFolder, options.Environment.Time);
        if (containment.Kind == ProcessContainmentKind.None)
        {
            LogNoControlGroups(options.Logger, containment.Description, createUser
                ? "every process of the task user is killed when the task ends (kill(-1) as that user), but there is no process limit"
                : "only processes that keep the TCW_SANDBOX_ID marker in their environment are found and killed when the task ends (env -i escapes), and there is no process limit; use createUser");
            return containment;
        }

        LogControlGroups(options.Logger, containment.Description);
        var removed = containment.RemoveLeftoversAsync().GetAwaiter().GetResult();
        if (removed > 0)
        {
            LogLeftoverGroups(options.Logger, removed);
        }

        return containment;
    }

    public async Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var commands = ParseCommands(options.Payload);
        var payload = await GenericWorkerPayload.ReadAsync(options.Payload, options.Task, environment.Identity, users is not null, cancellationToken).ConfigureAwait(false);
        if (payload.RunAsCurrentUser)
        {
            options.Task.Log.WriteLine($"features.runTaskAsCurrentUser: the commands run as the worker's own user, {Environment.UserName}");
        }

        var taskUsers = payload.RunAsCurrentUser ? null : users;
        var workspace = taskUsers is not null && preparedUsers is not null
            ? await preparedUsers.TakeAsync(cancellationToken).ConfigureAwait(false)
            : await TaskWorkspace.CreateAsync(tasksFolder, null, cancellationToken).ConfigureAwait(false);
        if (taskUsers is not null && workspace.User is { } user && payload.OsGroups.Count > 0)
        {
            try
            {
                await taskUsers.AddToGroupsAsync(user, payload.OsGroups).ConfigureAwait(false);
                options.Task.Log.WriteLine($"The task user {user.Name} is a member of {string.Join(", ", payload.OsGroups)}");
            }
            catch
            {
                await workspace.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        var defaults = new Dictionary<string, string>
        {
            ["HOME"] = workspace.Directory,
            ["PATH"] = TaskEnvironment.DefaultPath,
            ["USER"] = workspace.User?.Name ?? Environment.UserName,
        };
        var forced = new Dictionary<string, string> { [ProcessReaper.MarkerVariable] = ProcessEngineSettings.NewMarker() };
        var taskEnvironment = new TaskEnvironment(defaults, forced);
        return new ProcessSandboxBuilder(
            workspace,
            taskEnvironment,
            env => new NativeSandbox(commands, new ProcessSandboxOptions(workspace, env, options.Task.Log, gracePeriod, environment.Time, containment, maxProcesses), payload.ResourceMonitor ? resourceMonitor : null),
            new SandboxAttachments(workspace, volumes, proxies));
    }

    public Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IVolume>((volumes ?? throw new FeatureNotSupportedException("volumes")).Create(options));
    }

    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IVolumeBuilder>((volumes ?? throw new FeatureNotSupportedException("volumes")).CreateBuilder(options));
    }

    public async ValueTask DisposeAsync()
    {
        if (preparedUsers is not null)
        {
            await preparedUsers.DisposeAsync().ConfigureAwait(false);
        }

        containment.Dispose();
        await proxies.DisposeAsync().ConfigureAwait(false);
    }

    private static JObject WithGenericWorkerKeys(JObject schema)
    {
        var extra = GenericWorkerPayload.Schema();
        foreach (var property in ((JObject)extra["properties"]!).Properties())
        {
            ((JObject)schema["properties"]!)[property.Name] = property.Value;
        }

        return schema;
    }

    private static List<string[]> ParseCommands(JObject payload)
    {
        if (payload["command"] is not JArray { Count: > 0 } commands)
        {
            throw new MalformedPayloadException("payload.command must be a non-empty array of commands.");
        }

        var result = new List<string[]>();
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i] is not JArray { Count: > 0 } argv || argv.Any(a => a.Type != JTokenType.String))
            {
                throw new MalformedPayloadException($"payload.command[{i}] must be a non-empty array of strings.");
            }

            result.Add([.. argv.Select(a => a.Value<string>()!)]);
        }

        return result;
    }

    private static bool AncestorsTraversable(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        for (var dir = Path.GetDirectoryName(folder); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Task users cannot reach their directories under {Folder}: a parent folder is not traversable by others (chmod o+x)")]
    private static partial void LogNotTraversable(ILogger logger, string folder);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Each task's processes are held in its own control group ({Description})")]
    private static partial void LogControlGroups(ILogger logger, string description);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No control group can hold the tasks' processes ({Reason}); what still holds: {Remaining}")]
    private static partial void LogNoControlGroups(ILogger logger, string reason, string remaining);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Writable volumes reach task users through idmapped mounts: no owner changes when a cache is attached")]
    private static partial void LogVolumesMapped(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Idmapped mounts are not available ({Reason}); writable volumes change owner, entry by entry, each time a task user attaches and releases them")]
    private static partial void LogVolumesNotMapped(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Removed {Count} control groups of tasks of a previous run, after killing their processes")]
    private static partial void LogLeftoverGroups(ILogger logger, int count);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Removed what an earlier run of this worker left: {Users} task users, {Folders} task directories")]
    private static partial void LogLeftovers(ILogger logger, int users, int folders);
}
