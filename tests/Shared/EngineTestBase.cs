using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Testing;

/// <summary>A test class with a fresh engine (and worker environment) per test.</summary>
public abstract class EngineTestBase : IAsyncLifetime
{
    private readonly Func<IEngineProvider> provider;
    private readonly Func<JObject?> config;
    private EngineHarness? harness;

    /// <param name="provider">Makes the provider under test.</param>
    /// <param name="config">The engine config; the engine is not created when this returns null (a test that will be skipped).</param>
    private protected EngineTestBase(Func<IEngineProvider> provider, Func<JObject?> config)
    {
        this.provider = provider;
        this.config = config;
    }

    private protected EngineHarness Harness => harness ?? throw new InvalidOperationException("No engine was created for this test.");

    public async Task InitializeAsync()
    {
        if (config() is { } engineConfig)
        {
            harness = await EngineHarness.CreateAsync(provider(), engineConfig);
        }
    }

    public async Task DisposeAsync()
    {
        if (harness is not null)
        {
            await harness.DisposeAsync();
        }
    }
}
