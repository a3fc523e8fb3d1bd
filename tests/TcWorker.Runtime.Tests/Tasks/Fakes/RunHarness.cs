using Newtonsoft.Json.Linq;
using TcWorker.Plugins;
using TcWorker.Runtime.Tasks;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tests.Tasks.Fakes;

/// <summary>Runs one task through a real <see cref="TaskRun"/> with the scripted engine and the given plugins.</summary>
public sealed class RunHarness : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public RunHarness(params (string Name, IPlugin Plugin)[] plugins)
    {
        Engine = new ScriptedEngine(Events);
        Plugins = plugins.Select(p => new NamedPlugin(p.Name, p.Plugin)).ToList();
    }

    public EventLog Events { get; } = new();

    public ScriptedEngine Engine { get; }

    public List<NamedPlugin> Plugins { get; }

    public TimeSpan HookTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public FakeArtifactPublisher Artifacts { get; } = new();

    public string LogText { get; private set; } = string.Empty;

    /// <summary>Where the next run's log goes; a new file in a temporary folder by default.</summary>
    public string? LogPath { get; set; }

    public static JObject Task(JObject payload, params string[] scopes) => new()
    {
        ["provisionerId"] = "test-provisioner",
        ["workerType"] = "test-worker",
        ["created"] = "2026-01-01T00:00:00.000Z",
        ["deadline"] = "2026-01-02T00:00:00.000Z",
        ["expires"] = "2027-01-01T00:00:00.000Z",
        ["scopes"] = new JArray(scopes),
        ["payload"] = payload,
    };

    public TaskRun CreateRun(JObject payload) => CreateRunForTask(Task(payload));

    public TaskRun CreateRunForTask(JObject task)
    {
        var factory = new TaskRunFactory(
            new TaskRunComponents("scripted", Engine, Plugins),
            new TaskRunOptions { RootUrl = "https://tc.example.com", HookTimeout = HookTimeout });
        var claim = new ClaimedTask("fakeTaskId00000000000A", 0, task, new TaskCredentials("client", "secret", null, null));
        return factory.Create(claim, LogPath ?? folder.NewFile(), Artifacts);
    }

    public async Task<TaskRunOutcome> RunAsync(JObject payload) => await RunAsync(CreateRun(payload));

    public async Task<TaskRunOutcome> RunAsync(TaskRun run)
    {
        var outcome = await run.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        LogText = await File.ReadAllTextAsync(run.Log.Path);
        return outcome;
    }

    public void Dispose() => folder.Dispose();
}

public sealed class FakeArtifactPublisher : IArtifactPublisher
{
    public List<string> Created { get; } = [];

    public Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default) =>
        Record(artifact.Name);

    public Task CreateReferenceAsync(string name, Uri url, string contentType, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
        Record(name);

    public Task CreateLinkAsync(string name, string target, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
        Record(name);

    public Task CreateErrorAsync(string name, ArtifactErrorReason reason, string message, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
        Record(name);

    private Task Record(string name)
    {
        lock (Created)
        {
            Created.Add(name);
        }

        return Task.CompletedTask;
    }
}
