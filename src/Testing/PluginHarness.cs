using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Engines.Mock;
using TcWorker.Plugins;
using TcWorker.Runtime.Tasks;
using TcWorker.Tasks;

namespace TcWorker.Testing;

/// <summary>
/// Runs one plugin through every stage of a real task run (the runtime's <see cref="TaskRun"/>:
/// payload validation against the composed schema, build, start, started, stopped, finished or
/// exception, dispose) on the mock engine, in an <see cref="EngineTestEnvironment"/>. Modelled on
/// taskcluster-worker's <c>plugins/plugintest</c>. Runs may follow one another; not thread-safe.
/// </summary>
public sealed class PluginHarness : IAsyncDisposable
{
    private readonly IEngine engine;
    private int runs;

    private PluginHarness(EngineTestEnvironment environment, string name, IPlugin plugin, IEngine engine, bool propagateEngineSuccess)
    {
        List<NamedPlugin> plugins = [new(name, plugin)];
        if (propagateEngineSuccess)
        {
            plugins.Add(new NamedPlugin(EngineSuccessPlugin.Name, new EngineSuccessPlugin()));
        }

        Environment = environment;
        Plugin = plugin;
        this.engine = engine;
        Factory = new TaskRunFactory(
            new TaskRunComponents("mock", engine, plugins),
            new TaskRunOptions { RootUrl = EngineTestEnvironment.RootUrl, HookTimeout = TimeSpan.FromMinutes(1) },
            environment.Environment.LoggerFactory,
            environment.Environment.Time);
    }

    /// <summary>The environment the plugin and the mock engine were created in.</summary>
    public EngineTestEnvironment Environment { get; }

    /// <summary>The plugin under test.</summary>
    public IPlugin Plugin { get; }

    /// <summary>The scopes of the tasks the harness runs; none by default.</summary>
    public IReadOnlyList<string> Scopes { get; set; } = [];

    /// <summary>How long one run may take before the test fails.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    private TaskRunFactory Factory { get; }

    /// <summary>Creates the plugin from its provider, as the runtime does, and a mock engine beside it.</summary>
    /// <param name="provider">The plugin's provider.</param>
    /// <param name="config">The plugin's config; an empty object by default.</param>
    /// <param name="time">The clock the plugin and the mock engine see; the system clock by default.</param>
    /// <param name="propagateEngineSuccess">
    /// Whether an unsuccessful engine result fails the task, as a worker's success plugin makes it (the default);
    /// <see langword="false"/> leaves success to the plugin under test alone.
    /// </param>
    /// <returns>The harness; the caller disposes it.</returns>
    public static async Task<PluginHarness> CreateAsync(IPluginProvider provider, JObject? config = null, TimeProvider? time = null, bool propagateEngineSuccess = true)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var environment = await EngineTestEnvironment.CreateAsync(time: time).ConfigureAwait(false);
        var plugin = provider.Create(new PluginOptions { Config = config ?? [], Environment = environment.Environment, Logger = NullLogger.Instance });
        var engine = new MockEngineProvider().Create(new EngineOptions { Config = [], Environment = environment.Environment, Logger = NullLogger.Instance });
        return new PluginHarness(environment, provider.Name, plugin, engine, propagateEngineSuccess);
    }

    /// <summary>Runs one task to its end.</summary>
    /// <param name="payload">The plugin's payload keys (the mock engine's are added from <paramref name="function"/>).</param>
    /// <param name="function">What the mock engine does; <see cref="MockFunction.Succeed"/> by default.</param>
    /// <param name="whileRunning">Runs beside the task once it is created, e.g. to wait for a log line and <see cref="TaskRun.Abort"/> it.</param>
    /// <returns>The outcome with the whole log.</returns>
    /// <exception cref="TimeoutException">The run took longer than <see cref="Timeout"/>.</exception>
    public async Task<PluginRunOutcome> RunAsync(JObject payload, MockFunction? function = null, Func<TaskRun, Task>? whileRunning = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var now = DateTimeOffset.UtcNow;
        var task = new JObject
        {
            ["provisionerId"] = "test-provisioner",
            ["workerType"] = "test-worker-type",
            ["created"] = now.ToString("O"),
            ["deadline"] = now.AddHours(1).ToString("O"),
            ["expires"] = now.AddDays(1).ToString("O"),
            ["scopes"] = new JArray(Scopes),
            ["payload"] = (function ?? MockFunction.Succeed).AddTo(payload),
        };
        var artifacts = new RecordingArtifactPublisher();
        var claim = new ClaimedTask("dGVzdC10YXNrLWlkLTAwMA", runs++, task, new TaskCredentials("task-client/test", "secret-task-token", null, null));
        var run = Factory.Create(claim, Environment.Environment.Storage.NewFilePath("task-log"), artifacts);
        await using (run.ConfigureAwait(false))
        {
            var running = run.RunAsync();
            if (whileRunning is not null)
            {
                await whileRunning(run).WaitAsync(Timeout).ConfigureAwait(false);
            }

            var outcome = await running.WaitAsync(Timeout).ConfigureAwait(false);
            return new PluginRunOutcome(outcome, await File.ReadAllTextAsync(run.Log.Path).ConfigureAwait(false), artifacts.Names);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Plugin.DisposeAsync().ConfigureAwait(false);
        await engine.DisposeAsync().ConfigureAwait(false);
        await Environment.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class RecordingArtifactPublisher : IArtifactPublisher
    {
        private readonly List<string> names = [];

        public IReadOnlyList<string> Names
        {
            get
            {
                lock (names)
                {
                    return [.. names];
                }
            }
        }

        public async Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default)
        {
            var content = await openContent(cancellationToken).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            await Record(artifact.Name).ConfigureAwait(false);
        }

        public Task CreateReferenceAsync(string name, Uri url, string contentType, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) => Record(name);

        public Task CreateLinkAsync(string name, string target, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) => Record(name);

        public Task CreateErrorAsync(string name, ArtifactErrorReason reason, string message, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) => Record(name);

        private Task Record(string name)
        {
            lock (names)
            {
                names.Add(name);
            }

            return Task.CompletedTask;
        }
    }
}
