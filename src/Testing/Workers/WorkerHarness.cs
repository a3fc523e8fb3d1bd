using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Testing;

/// <summary>
/// Runs <see cref="WorkerCase"/>s end to end: for each case a fresh local queue on a free loopback
/// port in a temporary folder, the case's tasks created in it, and the runtime's real worker
/// (<see cref="WorkerHost"/>) running in-process against it over HTTP until every task has resolved.
/// Then each task's resolution, log and artifacts are fetched from the queue, as a task author would,
/// and checked. Modelled on taskcluster-worker's <c>worker/workertest</c>. Cases run one after the
/// other; an instance may run any number of them, but not at once.
/// </summary>
public sealed partial class WorkerHarness
{
    /// <summary>The worker pool the harness's workers claim from.</summary>
    public const string WorkerPoolId = "tcw-harness/worker";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(5);
    private readonly Action<ITcWorkerBuilder>? register;

    /// <summary>Creates a harness.</summary>
    /// <param name="config">
    /// The worker config, YAML or JSON text: at least <c>engine</c>, and <c>engines</c> and <c>plugins</c> as a
    /// worker would have them. The harness sets <c>rootUrl</c>, <c>credentials</c>, <c>temporaryFolder</c> and the
    /// worker's identity; each case may merge a fragment over it.
    /// </param>
    /// <param name="register">
    /// Registers engines and plugins in code, as a custom worker does:
    /// <c>b =&gt; b.AddEngine&lt;MyEngineProvider&gt;().AddPlugin&lt;MyPluginProvider&gt;()</c>.
    /// </param>
    public WorkerHarness(string config, Action<ITcWorkerBuilder>? register = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        this.register = register;
    }

    /// <summary>The worker config text given at creation.</summary>
    public string Config { get; }

    /// <summary>Folders searched for plugin folders, besides the engines and plugins registered in code.</summary>
    public IList<string> PluginDirectories { get; } = [];

    /// <summary>Where the queue's and the worker's own logs go; nowhere by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Runs a case and asserts that every expectation holds; the failure lists every mismatch at once.</summary>
    /// <param name="workerCase">The case.</param>
    /// <param name="cancellationToken">Stops the case early (the worker is stopped and nothing is checked).</param>
    /// <returns>The result, when every expectation held.</returns>
    public async Task<WorkerCaseResult> AssertPassesAsync(WorkerCase workerCase, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(workerCase, cancellationToken).ConfigureAwait(false);
        result.AssertPassed();
        return result;
    }

    /// <summary>
    /// Runs a case: creates its tasks, runs a worker until each has resolved or <see cref="WorkerCase.Timeout"/>
    /// has passed, and checks every expectation. Throws <see cref="ArgumentException"/> for an inconsistent case and
    /// <see cref="ConfigException"/> when the merged worker config is invalid (or the engine cannot use it when it
    /// starts), and <see cref="EngineStartException"/> when the engine does not start.
    /// </summary>
    /// <param name="workerCase">The case.</param>
    /// <param name="cancellationToken">Stops the case early (the worker is stopped and nothing is checked).</param>
    /// <returns>What each task ended with, and the mismatches.</returns>
    public async Task<WorkerCaseResult> RunAsync(WorkerCase workerCase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workerCase);
        var payloads = WorkerCaseChecks.Validate(workerCase);
        var folder = Directory.CreateTempSubdirectory("tcw-harness-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // The native engine's per-task users (createUser) pass through to their task directories; nobody else may list it.
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        try
        {
            var registry = BuildRegistry();
            var queue = await StartQueueAsync(folder, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            await using (queue.ConfigureAwait(false))
            {
                var source = $"the config of the case '{workerCase.Name}'";
                var config = WorkerConfig.FromDocument(BuildConfig(workerCase.Config, source, workerCase.Capacity, queue, Path.Combine(folder, "worker")), $"the worker config of the case '{workerCase.Name}'");
                using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = queue.RootUrl, Credentials = queue.RootCredentials });
                var taskIds = await CreateTasksAsync(client.Queue, workerCase, payloads, cancellationToken).ConfigureAwait(false);
                var problems = await RunWorkerAsync(config, registry, client.Queue, workerCase, taskIds, cancellationToken).ConfigureAwait(false);
                var outcomes = new List<WorkerTaskOutcome>();
                foreach (var task in workerCase.Tasks)
                {
                    outcomes.Add(await WorkerTaskOutcome.CollectAsync(client.Queue, task.Name, taskIds[task.Name], cancellationToken).ConfigureAwait(false));
                }

                return new WorkerCaseResult(workerCase, outcomes, [.. problems, .. WorkerCaseChecks.Check(workerCase, outcomes)]);
            }
        }
        finally
        {
            TryDelete(folder);
        }
    }

    private Task<LocalQueueServer> StartQueueAsync(string folder, TimeSpan claimWorkWait, CancellationToken cancellationToken) =>
        LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = Path.Combine(folder, "queue"), ClaimWorkWait = claimWorkWait }, LoggerFactory, cancellationToken);

    private ComponentRegistry BuildRegistry()
    {
        var services = new ServiceCollection();
        var builder = services.AddTcWorker(options =>
        {
            options.IncludeDefaultPluginDirectory = false;
            foreach (var directory in PluginDirectories)
            {
                options.PluginDirectories.Add(directory);
            }
        });
        register?.Invoke(builder);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<ComponentRegistry>();
    }

    private JObject BuildConfig(string? fragment, string fragmentSource, int? capacity, LocalQueueServer queue, string temporaryFolder)
    {
        var document = Object(Config, "the harness's worker config");
        if (fragment is not null)
        {
            document.Merge(Object(fragment, fragmentSource), new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace, MergeNullValueHandling = MergeNullValueHandling.Merge });
        }

        var worker = document["worker"] as JObject ?? [];
        worker["workerPoolId"] = WorkerPoolId;
        worker["workerGroup"] ??= "harness";
        worker["workerId"] ??= "harness-worker";
        if (capacity is not null)
        {
            worker["capacity"] = capacity;
        }

        // A test machine's free space says nothing about the engine under test.
        worker["minimumDiskSpace"] ??= 0;

        document["worker"] = worker;
        document["rootUrl"] = queue.RootUrl;
        document["credentials"] = new JObject { ["clientId"] = queue.RootCredentials.ClientId, ["accessToken"] = queue.RootCredentials.AccessToken };
        document["temporaryFolder"] = temporaryFolder;
        return document;
    }

    private static JObject Object(string text, string source) =>
        JsonDocumentReader.Parse(text, source) as JObject ?? throw new ArgumentException($"{source} must be an object (YAML or JSON).");

    private static async Task<Dictionary<string, string>> CreateTasksAsync(QueueClient queue, WorkerCase workerCase, IReadOnlyList<JObject> payloads, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var pool = WorkerPoolId.Split('/');
        for (var i = 0; i < workerCase.Tasks.Count; i++)
        {
            var task = workerCase.Tasks[i];
            var now = DateTimeOffset.UtcNow;
            var deadline = now + (task.Deadline ?? TimeSpan.FromHours(1));
            var definition = new JObject
            {
                ["provisionerId"] = pool[0],
                ["workerType"] = pool[1],
                ["retries"] = 0,
                ["scopes"] = new JArray(),
                ["metadata"] = new JObject
                {
                    ["name"] = task.Name,
                    ["description"] = $"Task '{task.Name}' of the worker case '{workerCase.Name}'",
                    ["owner"] = "harness@tcworker.invalid",
                    ["source"] = "https://tcworker.invalid/worker-harness",
                },
            };
            if (task.Definition is { } extra)
            {
                definition.Merge(extra.DeepClone(), new JsonMergeSettings { MergeArrayHandling = MergeArrayHandling.Replace });
            }

            definition["created"] = Time(now);
            definition["deadline"] = Time(deadline);
            definition["expires"] = Time(deadline.AddDays(1));
            definition["payload"] = payloads[i];
            definition["dependencies"] = new JArray(task.DependsOn.Select(d => ids[d]));
            var taskId = Slugid.Nice();
            try
            {
                await queue.CreateTaskAsync(taskId, definition, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskclusterException e)
            {
                throw new ArgumentException($"The queue refused the task '{task.Name}' of the case '{workerCase.Name}': {e.Message}", nameof(workerCase), e);
            }

            ids[task.Name] = taskId;
        }

        return ids;
    }

    private async Task<List<string>> RunWorkerAsync(WorkerConfig config, ComponentRegistry registry, QueueClient queue, WorkerCase workerCase, Dictionary<string, string> taskIds, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        using var lifetime = new WorkerLifetime();
        var worker = Task.Run(() => WorkerHost.RunAsync(config, registry, lifetime, LoggerFactory), CancellationToken.None);
        var canceled = new HashSet<string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var unresolved = workerCase.Tasks.Select(t => t.Name).ToList();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var states = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var task in workerCase.Tasks)
                {
                    var status = (await queue.StatusAsync(taskIds[task.Name], cancellationToken).ConfigureAwait(false)).Status;
                    states[task.Name] = status.State;
                    if (task.CancelAfter is { } after && status.Runs.LastOrDefault() is { State: "running", Started: { } started }
                        && DateTimeOffset.UtcNow - started >= after && canceled.Add(task.Name))
                    {
                        await queue.CancelTaskAsync(taskIds[task.Name], cancellationToken).ConfigureAwait(false);
                    }
                }

                unresolved = [.. states.Where(s => s.Value is "unscheduled" or "pending" or "running").Select(s => $"'{s.Key}' ({s.Value})")];
                if (unresolved.Count == 0)
                {
                    break;
                }

                if (worker.IsCompleted)
                {
                    var reason = await worker.ConfigureAwait(false);
                    problems.Add($"the worker stopped ({reason}) before every task resolved; unresolved: {string.Join(", ", unresolved)}");
                    break;
                }

                if (clock.Elapsed >= workerCase.Timeout)
                {
                    problems.Add($"the tasks did not all resolve within {workerCase.Timeout.TotalSeconds:0.#} s; unresolved: {string.Join(", ", unresolved)}");
                    break;
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await StopAsync(worker, lifetime).ConfigureAwait(false);
        }

        return problems;
    }

    // Gracefully first. Runs still going once every task has resolved (canceled, past the deadline: the worker
    // learns it only at its next reclaim) decide nothing any more, so a worker that overstays is stopped at once.
    private static async Task StopAsync(Task<WorkerStopReason> worker, WorkerLifetime lifetime)
    {
        lifetime.StopGracefully();
        if (await Task.WhenAny(worker, Task.Delay(GracefulStop)).ConfigureAwait(false) != worker)
        {
            lifetime.StopNow();
            await Task.WhenAny(worker, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
        }

        if (worker is { IsFaulted: true, Exception.InnerException: ConfigException or EngineStartException })
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(worker.Exception.InnerException);
        }

        if (worker.IsFaulted)
        {
            throw new InvalidOperationException("The worker crashed: " + worker.Exception!.InnerException!.Message, worker.Exception.InnerException);
        }
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: it lives in the system's temporary folder.
        }
    }
}
