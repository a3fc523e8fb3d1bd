using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Sdk;
#if XUNIT_V3
using Xunit.v3;
#endif

namespace TcWorker.Testing;

/// <summary>
/// The worker harness as an xunit base class: subclass it, give the worker config, register the engine
/// and plugins, list the cases, and each case becomes one test (<see cref="TheCasePasses"/>) run by a
/// <see cref="WorkerHarness"/>. A failing case lists every mismatch with the tasks' logs. Single cases can
/// also run from a <c>[Fact]</c> of the subclass through <see cref="RunCaseAsync"/>.
/// </summary>
/// <remarks>
/// xunit creates the subclass with its parameterless constructor to list the case names, so
/// <see cref="Cases"/> must be cheap and must not depend on fixtures.
/// </remarks>
public abstract class WorkerCaseTests
{
    /// <summary>The worker config, YAML or JSON text (engine, engines, plugins); see <see cref="WorkerHarness(string, Action{ITcWorkerBuilder})"/>.</summary>
    protected abstract string WorkerConfig { get; }

    /// <summary>The cases, each with a name unique in the class.</summary>
    protected abstract IEnumerable<WorkerCase> Cases { get; }

    /// <summary>When not <see langword="null"/>, every case is skipped with this reason (say, the engine runs only on Linux).</summary>
    protected virtual string? SkipReason => null;

    /// <summary>Folders searched for plugin folders; none by default.</summary>
    protected virtual IReadOnlyList<string> PluginDirectories => [];

    /// <summary>Runs the case named <paramref name="name"/> and asserts that every expectation holds.</summary>
    /// <param name="name">A name from <see cref="Cases"/>.</param>
    /// <returns>When checked.</returns>
    [SkippableTheory]
    [WorkerCaseNames]
    public async Task TheCasePasses(string name)
    {
        Skip.If(SkipReason is not null, SkipReason);
        var workerCase = Cases.SingleOrDefault(c => c.Name == name) ?? throw new InvalidOperationException($"{GetType().Name} has no case named '{name}' (or more than one).");
        await RunCaseAsync(workerCase).ConfigureAwait(false);
    }

    /// <summary>Registers the engine and plugins under test in code: <c>builder.AddEngine&lt;T&gt;().AddPlugin&lt;T&gt;()</c>.</summary>
    /// <param name="builder">The worker's component builder.</param>
    protected virtual void Register(ITcWorkerBuilder builder)
    {
    }

    /// <summary>Runs one case with a fresh harness and asserts that every expectation holds.</summary>
    /// <param name="workerCase">The case; it need not be one of <see cref="Cases"/>.</param>
    /// <returns>The result, when every expectation held.</returns>
    protected Task<WorkerCaseResult> RunCaseAsync(WorkerCase workerCase)
    {
        Skip.If(SkipReason is not null, SkipReason);
        return CreateHarness().AssertPassesAsync(workerCase);
    }

    /// <summary>A harness with this class's config, registrations and plugin folders.</summary>
    /// <returns>The harness.</returns>
    protected WorkerHarness CreateHarness()
    {
        var harness = new WorkerHarness(WorkerConfig, Register);
        foreach (var directory in PluginDirectories)
        {
            harness.PluginDirectories.Add(directory);
        }

        return harness;
    }

    internal IEnumerable<string> CaseNames() => Cases.Select(c => c.Name);
}

/// <summary>Supplies the case names of the concrete <see cref="WorkerCaseTests"/> subclass to <see cref="WorkerCaseTests.TheCasePasses"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WorkerCaseNamesAttribute : DataAttribute
{
#if XUNIT_V3
    /// <inheritdoc />
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker) =>
        new([.. CaseNames(testMethod).Select(name => new TheoryDataRow<string>(name))]);

    /// <inheritdoc />
    public override bool SupportsDiscoveryEnumeration() => true;
#else
    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [.. CaseNames(testMethod).Select(name => new object[] { name })];
#endif

    private static IEnumerable<string> CaseNames(MethodInfo testMethod)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        var type = testMethod.ReflectedType;
        if (type is null || type.IsAbstract || !typeof(WorkerCaseTests).IsAssignableFrom(type))
        {
            return [];
        }

        return ((WorkerCaseTests)Activator.CreateInstance(type)!).CaseNames();
    }
}
