using Newtonsoft.Json.Linq;
using TcWorker.Engines;

namespace TcWorker.Testing.Tests;

/// <summary>
/// An engine in memory for the kit cases no engine of the repository declares: its sandbox runs until
/// aborted, and a subclass adds the optional feature under test.
/// </summary>
internal abstract class InMemoryEngine(string componentName, EngineFeatures features) : IEngineProvider, IEngine, ISandboxBuilder, ISandbox
{
    private readonly TaskCompletionSource<IResultSet> result = new();

    public string Name => componentName;

    public JObject ConfigSchema => new() { ["type"] = "object" };

    public EngineCapabilities Capabilities { get; } = new() { Features = features };

    public JObject PayloadSchema => new() { ["type"] = "object" };

    public IReadOnlyList<DocSection> Documentation => [];

    public IEngine Create(EngineOptions options) => this;

    public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default) => Task.FromResult<ISandboxBuilder>(this);

    public void SetEnvironmentVariable(string name, string value) => throw new NotSupportedException();

    public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default) => Task.FromResult<ISandbox>(this);

    public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => result.Task.WaitAsync(cancellationToken);

    public Task AbortAsync()
    {
        result.TrySetException(new Errors.SandboxAbortedException());
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A kit subclass for an <see cref="InMemoryEngine"/>: its payloads are empty, the engine ignores them.</summary>
internal abstract class InMemoryConformance(Func<InMemoryEngine> engine) : EngineConformanceTests
{
    protected override IEngineProvider CreateProvider() => engine();

    protected override JObject LogPayload(string text) => [];

    protected override JObject FailingLogPayload(string text) => [];

    protected override JObject SilentPayload() => [];

    protected override JObject SleepPayload() => [];
}
