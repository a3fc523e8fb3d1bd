using System.Collections.Immutable;
using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Testing.Tests;

/// <summary>The kit's concurrency case catches a sandbox builder that loses what several threads set at once.</summary>
public sealed class BuilderConcurrencyCaseTests
{
    [Fact]
    public Task A_builder_that_loses_concurrent_writes_fails_the_variables_case() =>
        Kit.RunAsync(new LossyConformance(), async kit =>
        {
            var error = await Record.ExceptionAsync(kit.TheBuilderKeepsEveryVariableSetFromManyThreads);
            Assert.True(error is Xunit.Sdk.XunitException, $"The case did not fail on a builder without synchronisation: {error?.ToString() ?? "it passed"}");
            Assert.Matches("was lost|not exactly one", error!.Message);
        });

    private sealed class LossyConformance() : InMemoryConformance(() => new LossyEngine());

    /// <summary>Reads its variables, works a little, then writes them back: what another thread added meanwhile is lost.</summary>
    private sealed class LossyEngine() : InMemoryEngine("in-memory-lossy", EngineFeatures.EnvironmentVariables), ISandboxBuilder
    {
        private ImmutableDictionary<string, string> variables = ImmutableDictionary<string, string>.Empty;

        public new void SetEnvironmentVariable(string name, string value)
        {
            var seen = variables;
            if (seen.ContainsKey(name))
            {
                throw new NamingConflictException("environment variable", name);
            }

            Thread.SpinWait(100);
            variables = seen.Add(name, value);
        }
    }
}
