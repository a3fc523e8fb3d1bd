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

    private sealed class InMemoryDisplayConformance(string greeting, string listedName) : InMemoryConformance(() => new DisplayEngine(greeting, listedName))
    {
        protected override DisplaysCase? Displays => new([], ["screen"]);
    }

    private sealed class DisplayEngine(string greeting, string listedName) : InMemoryEngine("in-memory-display", EngineFeatures.Displays), ISandbox
    {
        public Task<IReadOnlyList<DisplayInfo>> ListDisplaysAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<DisplayInfo>>([new DisplayInfo(listedName, "the only screen", 1024, 768)]);

        public Task<Stream> OpenDisplayAsync(string name, CancellationToken cancellationToken = default) => name == listedName
            ? Task.FromResult<Stream>(new MemoryStream(Encoding.ASCII.GetBytes(greeting)))
            : Task.FromException<Stream>(new ResourceNotFoundException($"no display named {name}"));
    }
}
