using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;

namespace TcWorker.Testing.Tests;

/// <summary>None of the repository's engines declares shells: the shell case runs against an in-memory one.</summary>
public sealed class ShellCaseTests
{
    [Theory]
    [InlineData("hello from the shell\n", true)]
    [InlineData("something else\n", false)]
    public async Task The_shell_case_checks_the_output_of_the_command(string output, bool passes)
    {
        await Kit.RunAsync(new InMemoryShellConformance(output), async kit =>
        {
            var error = await Record.ExceptionAsync(kit.AShellRunsACommand);
            Assert.Equal(passes, error is null);
        });
    }

    private sealed class InMemoryShellConformance(string output) : InMemoryConformance(() => new ShellEngine(output))
    {
        protected override ShellsCase? Shells => new([], ["echo", "hello from the shell"], "hello from the shell\n");
    }

    private sealed class ShellEngine(string output) : InMemoryEngine("in-memory-shell", EngineFeatures.Shells), ISandbox
    {
        public Task<IShell> OpenShellAsync(IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken = default) =>
            Task.FromResult<IShell>(new Shell(command is ["echo", var text] ? output : string.Empty));
    }

    private sealed class Shell(string output) : IShell
    {
        public Stream StandardInput { get; } = new MemoryStream();

        public Stream StandardOutput { get; } = new MemoryStream(Encoding.UTF8.GetBytes(output));

        public Stream StandardError { get; } = new MemoryStream();

        public Task SetSizeAsync(int columns, int rows, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task AbortAsync() => Task.CompletedTask;

        public Task<int> WaitAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
