using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Testing.Tests;

/// <summary>None of the repository's engines declares displays: the display case runs against an in-memory one.</summary>
public sealed class DisplayCaseTests
{
    [Theory]
    [InlineData("RFB 003.008\n", "screen", true)]
    [InlineData("HTTP/1.1 200\n", "screen", false)]
    [InlineData("RFB 003.008\n", "other", false)]
    public async Task The_display_case_checks_the_list_and_the_handshake(string greeting, string listedName, bool passes)
    {
        await Kit.RunAsync(new InMemoryDisplayConformance(greeting, listedName), async kit =>
        {
            var error = await Record.ExceptionAsync(kit.ListsAndOpensItsDisplays);
            Assert.True(passes == (error is null), error?.ToString() ?? "The case passed.");
        });
    }

    private sealed class InMemoryDisplayConformance(string greeting, string listedName) : EngineConformanceTests
    {
        protected override DisplaysCase? Displays => new([], ["screen"]);

        protected override IEngineProvider CreateProvider() => new Provider(greeting, listedName);

        protected override JObject LogPayload(string text) => [];

        protected override JObject FailingLogPayload(string text) => [];

        protected override JObject SilentPayload() => [];

        protected override JObject SleepPayload() => [];
    }

    private sealed class Provider(string greeting, string listedName) : IEngineProvider, IEngine, ISandboxBuilder, ISandbox
    {
        private readonly TaskCompletionSource<IResultSet> result = new();

        public string Name => "in-memory-display";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public EngineCapabilities Capabilities { get; } = new() { Features = EngineFeatures.Displays };

        public JObject PayloadSchema => new() { ["type"] = "object" };

        public IReadOnlyList<DocSection> Documentation => [];

        public IEngine Create(EngineOptions options) => this;

        public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default) => Task.FromResult<ISandboxBuilder>(this);

        public void SetEnvironmentVariable(string name, string value) => throw new NotSupportedException();

        public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default) => Task.FromResult<ISandbox>(this);

        public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => result.Task.WaitAsync(cancellationToken);

        public Task AbortAsync()
        {
            result.TrySetException(new SandboxAbortedException());
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<DisplayInfo>> ListDisplaysAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<DisplayInfo>>([new DisplayInfo(listedName, "the only screen", 1024, 768)]);

        public Task<Stream> OpenDisplayAsync(string name, CancellationToken cancellationToken = default) => name == listedName
            ? Task.FromResult<Stream>(new MemoryStream(Encoding.ASCII.GetBytes(greeting)))
            : Task.FromException<Stream>(new ResourceNotFoundException($"no display named {name}"));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
