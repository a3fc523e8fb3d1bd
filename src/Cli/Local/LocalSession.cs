using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Cli.Commands;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Cli.Local;

/// <summary>One task's end, as <c>run</c> and <c>local</c> report it.</summary>
internal sealed record LocalResult(string File, string TaskId, string State, string? Reason, TimeSpan? Duration, IReadOnlyList<string> Artifacts, string OutputFolder)
{
    public int ExitCode => State switch
    {
        "completed" => ExitCodes.Success,
        "failed" => ExitCodes.TaskFailed,
        _ => ExitCodes.TaskException,
    };

    public string Resolution => Reason is null || Reason == State ? State : $"{State}/{Reason}";
}

/// <summary>
/// Runs task files on this machine: the local queue in-process on a free loopback port, the tasks
/// submitted to it, and the same worker as <c>work</c> against it over HTTP. Logs and artifacts are
/// downloaded from the queue into the output folder, as a task author would fetch them.
/// </summary>
internal static class LocalSession
{
    public const string DefaultWorkerPoolId = "local/tc-worker";
    private static readonly string[] DefaultPlugins = ["env", "secretmask", "maxruntime", "success", "artifacts", "livelog"];

    // ui: announce the queue's dashboard on error, and keep it up once the tasks are done, until SIGINT or SIGTERM.
    public static async Task<IReadOnlyList<LocalResult>> RunAsync(IReadOnlyList<string> taskFiles, FileInfo? configFile, string[] pluginDirectories, int? capacity, string outDir, Stream? liveLog, TextWriter error, bool ui = false)
    {
        var tasks = taskFiles.Select(f => (File: f, Task: TaskFile.Load(f))).ToList();
        var session = Directory.CreateTempSubdirectory("tc-worker-local-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // 711, not the 700 it is created with: per-task users (createUser) pass through it to their
            // task folders; the queue and worker folders inside are private again.
            File.SetUnixFileMode(session, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        try
        {
            var config = configFile is null ? null : CommonOptions.LoadConfig(configFile, error);
            AmbientCredentials.Forget();
            var registry = CommonOptions.BuildRegistry(pluginDirectories, config, builder =>
            {
                if (liveLog is not null)
                {
                    builder.Services.AddSingleton<TcWorker.Plugins.IPluginProvider>(new ConsoleLogPluginProvider(liveLog));
                }
            });
            var document = (JObject?)config?.Document.DeepClone() ?? DefaultConfig(registry.PluginNames);
            if (liveLog is not null)
            {
                ((JObject)(document["plugins"] ??= new JObject()))[ConsoleLogPluginProvider.PluginName] = new JObject();
            }

            var worker = (JObject)(document["worker"] ??= new JObject());
            worker["workerPoolId"] ??= DefaultWorkerPoolId;
            worker["numberOfTasksToRun"] = tasks.Count;

            // One-off runs on a developer's machine: no stall for want of worker.minimumDiskSpace unless the config asks.
            worker["minimumDiskSpace"] ??= 0;
            if (capacity is { } value)
            {
                worker["capacity"] = value;
            }

            // The dashboard's editor checks payloads against what this session's worker accepts.
            var payloadSchema = ui ? await SchemaCommand.PayloadSchemaAsync(WorkerConfig.FromDocument(document, configFile?.FullName ?? "(built-in default)"), registry, CancellationToken.None).ConfigureAwait(false) : null;
            await using var queue = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = Path.Combine(session, "queue"), PayloadSchema = payloadSchema }).ConfigureAwait(false);
            if (ui)
            {
                await AnnounceDashboardAsync(queue, session, error).ConfigureAwait(false);
            }

            document["rootUrl"] = queue.RootUrl;
            document["credentials"] = new JObject { ["clientId"] = queue.RootCredentials.ClientId, ["accessToken"] = queue.RootCredentials.AccessToken };
            document["temporaryFolder"] = Path.Combine(session, "worker");
            var workerConfig = WorkerConfig.FromDocument(document, configFile?.FullName ?? "(built-in default)");

            using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = queue.RootUrl, Credentials = queue.RootCredentials });
            var submitted = new List<(string File, string TaskId)>();
            foreach (var (file, task) in tasks)
            {
                var taskId = Slugid.Nice();
                try
                {
                    await client.Queue.CreateTaskAsync(taskId, TaskFile.Complete(task, (string)worker["workerPoolId"]!, file, DateTimeOffset.UtcNow)).ConfigureAwait(false);
                }
                catch (TaskclusterException e) when (e.StatusCode is { } status && (int)status < 500)
                {
                    throw new CliException(ExitCodes.DataError, $"the queue refused the task in {file}: {e.Message}");
                }

                submitted.Add((file, taskId));
            }

            using var loggerFactory = WorkCommand.CreateLoggerFactory(LogLevel.Warning);
            using var lifetime = new WorkerLifetime();
            using (WorkCommand.StopOnSignals(lifetime))
            {
                await WorkCommand.RunHostAsync(workerConfig, registry, lifetime, loggerFactory).ConfigureAwait(false);
            }

            var results = new List<LocalResult>();
            foreach (var (file, taskId) in submitted)
            {
                var folder = submitted.Count == 1 ? outDir : Path.Combine(outDir, taskId);
                results.Add(await CollectAsync(client.Queue, file, taskId, folder, error).ConfigureAwait(false));
            }

            if (ui)
            {
                await error.WriteLineAsync($"tc-worker: the dashboard stays up at {queue.RootUrl}/ until Ctrl-C").ConfigureAwait(false);
                using var stop = new WorkerLifetime();
                using var stopSignals = WorkCommand.StopOnSignals(stop);
                await Task.Delay(Timeout.Infinite, stop.Stopping).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }

            return results;
        }
        finally
        {
            TryDelete(session);
        }
    }

    /// <summary>
    /// Prints the dashboard's address, and writes a link that signs the browser in as the session's
    /// root client (the credentials ride in the fragment, which browsers never send) to a file only
    /// this user may read: the terminal shows no secret.
    /// </summary>
    private static async Task AnnounceDashboardAsync(LocalQueueServer queue, string session, TextWriter error)
    {
        var credentials = new JObject { ["clientId"] = queue.RootCredentials.ClientId, ["accessToken"] = queue.RootCredentials.AccessToken };
        var link = $"{queue.RootUrl}/#credentials={Uri.EscapeDataString(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials.ToString(Newtonsoft.Json.Formatting.None))))}";
        var file = Path.Combine(session, "dashboard-link");
        var settings = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            settings.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var writer = new StreamWriter(file, settings))
        {
            await writer.WriteLineAsync(link).ConfigureAwait(false);
        }

        await error.WriteLineAsync($"tc-worker: dashboard at {queue.RootUrl}/ (a signed-in link is in {file})").ConfigureAwait(false);
    }

    private static JObject DefaultConfig(IReadOnlyList<string> available) => new()
    {
        ["engine"] = "native",
        ["engines"] = new JObject { ["native"] = new JObject { ["createUser"] = false } },
        ["plugins"] = new JObject(DefaultPlugins.Where(available.Contains).Select(p => new JProperty(p, new JObject()))),
        ["worker"] = new JObject { ["workerPoolId"] = DefaultWorkerPoolId, ["workerGroup"] = "local", ["capacity"] = 1 },
    };

    private static async Task<LocalResult> CollectAsync(QueueClient queue, string file, string taskId, string folder, TextWriter error)
    {
        var status = (await queue.StatusAsync(taskId).ConfigureAwait(false)).Status;
        var run = status.Runs.LastOrDefault(r => r.State is not ("pending" or "running")) ?? status.Runs.LastOrDefault();
        var duration = run?.Started is { } started && run.Resolved is { } resolved ? resolved - started : (TimeSpan?)null;
        // An artifact that cannot be saved is named on the error writer; the exit code stays the task's.
        var artifacts = run is null ? [] : (await ArtifactDownloader.DownloadAsync(queue, taskId, run.RunId, folder, error).ConfigureAwait(false)).Saved;
        return new LocalResult(file, taskId, run?.State ?? status.State, run?.ReasonResolved, duration, artifacts, folder);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it lives in the system's temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    public static string Format(TimeSpan? duration) => duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "-";
}
