using System.Text.RegularExpressions;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;
using Xunit;

namespace TcWorker.Testing;

/// <summary>
/// How a <see cref="PluginHarness"/> run ended, with the whole task log. The <c>Assert*</c> methods
/// throw xunit assertion failures that show the log, and return the outcome so they chain.
/// </summary>
public sealed class PluginRunOutcome
{
    internal PluginRunOutcome(TaskRunOutcome outcome, string log, IReadOnlyList<string> artifacts)
    {
        Outcome = outcome;
        Log = log;
        Artifacts = artifacts;
    }

    /// <summary>The outcome the worker would report to the queue.</summary>
    public TaskRunOutcome Outcome { get; }

    /// <summary>Completed, failed or exception.</summary>
    public TaskRunState State => Outcome.State;

    /// <summary>The exception reason when <see cref="State"/> is <see cref="TaskRunState.Exception"/>.</summary>
    public ExceptionReason? Reason => Outcome.Reason;

    /// <summary>The whole task log, decoded as UTF-8.</summary>
    public string Log { get; }

    /// <summary>The names of the artifacts the run created, in order.</summary>
    public IReadOnlyList<string> Artifacts { get; }

    /// <summary>Asserts the run resolved <c>completed</c>.</summary>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertCompleted() => AssertState(TaskRunState.Completed, null);

    /// <summary>Asserts the run resolved <c>failed</c>.</summary>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertFailed() => AssertState(TaskRunState.Failed, null);

    /// <summary>Asserts the run resolved <c>exception</c> with <paramref name="reason"/>.</summary>
    /// <param name="reason">The expected reason.</param>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertException(ExceptionReason reason) => AssertState(TaskRunState.Exception, reason);

    /// <summary>Asserts the log contains <paramref name="text"/>.</summary>
    /// <param name="text">The text, compared ordinally.</param>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertLogContains(string text)
    {
        Assert.Contains(text, Log, StringComparison.Ordinal);
        return this;
    }

    /// <summary>Asserts the log does not contain <paramref name="text"/>.</summary>
    /// <param name="text">The text, compared ordinally.</param>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertLogDoesNotContain(string text)
    {
        Assert.DoesNotContain(text, Log, StringComparison.Ordinal);
        return this;
    }

    /// <summary>Asserts the log matches <paramref name="pattern"/> (multi-line: <c>^</c> and <c>$</c> match at lines).</summary>
    /// <param name="pattern">A regular expression.</param>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertLogMatches(string pattern)
    {
        Assert.True(Regex.IsMatch(Log, pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(5)), $"The log does not match /{pattern}/:\n{Log}");
        return this;
    }

    /// <summary>Asserts the log does not match <paramref name="pattern"/> (multi-line).</summary>
    /// <param name="pattern">A regular expression.</param>
    /// <returns>This outcome.</returns>
    public PluginRunOutcome AssertLogDoesNotMatch(string pattern)
    {
        Assert.False(Regex.IsMatch(Log, pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(5)), $"The log matches /{pattern}/:\n{Log}");
        return this;
    }

    private PluginRunOutcome AssertState(TaskRunState state, ExceptionReason? reason)
    {
        Assert.True(State == state && Reason == reason, $"The run resolved {Outcome}, not {(reason is { } r ? "exception/" + r.ToWireString() : state.ToString().ToLowerInvariant())}:\n{Log}");
        return this;
    }
}
