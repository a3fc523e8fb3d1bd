using System.Text;
using Xunit;

namespace TcWorker.Testing;

/// <summary>The result of one <see cref="WorkerCase"/>: what each task ended with, and every mismatch.</summary>
public sealed class WorkerCaseResult
{
    private const int LogExcerptLines = 30;

    internal WorkerCaseResult(WorkerCase workerCase, IReadOnlyList<WorkerTaskOutcome> tasks, IReadOnlyList<string> mismatches)
    {
        Case = workerCase;
        Tasks = tasks;
        Mismatches = mismatches;
    }

    /// <summary>The case that ran.</summary>
    public WorkerCase Case { get; }

    /// <summary>What each task ended with, in the case's order.</summary>
    public IReadOnlyList<WorkerTaskOutcome> Tasks { get; }

    /// <summary>Every expectation that did not hold (and whether the worker or the clock ran out), one line each.</summary>
    public IReadOnlyList<string> Mismatches { get; }

    /// <summary>Whether every expectation held.</summary>
    public bool Passed => Mismatches.Count == 0;

    /// <summary>The outcome of the task named <paramref name="name"/>.</summary>
    /// <param name="name">A task name of the case.</param>
    /// <returns>Its outcome.</returns>
    public WorkerTaskOutcome this[string name] => Tasks.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"The case '{Case.Name}' has no task '{name}'.");

    /// <summary>Fails the test with <see cref="Describe"/> unless every expectation held.</summary>
    public void AssertPassed()
    {
        if (!Passed)
        {
            Assert.Fail(Describe());
        }
    }

    /// <summary>
    /// Every mismatch, then for each task with a mismatch its resolution, its artifacts and the last lines
    /// of its log.
    /// </summary>
    /// <returns>A text for a test failure.</returns>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(Passed ? $"The worker case '{Case.Name}' passed." : $"The worker case '{Case.Name}' has {Mismatches.Count} mismatch(es):");
        foreach (var mismatch in Mismatches)
        {
            text.AppendLine("  - " + mismatch);
        }

        foreach (var task in Tasks.Where(t => Passed || Mismatches.Any(m => m.Contains($"'{t.Name}'", StringComparison.Ordinal))))
        {
            text.AppendLine().AppendLine($"task '{task.Name}' ({task.TaskId}): {task.Resolution}");
            foreach (var artifact in task.Artifacts.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
            {
                text.AppendLine($"  {artifact.Name}: {artifact}");
            }

            var lines = task.Log.Split('\n');
            var skipped = Math.Max(0, lines.Length - LogExcerptLines);
            text.AppendLine(skipped > 0 ? $"  log (last {LogExcerptLines} of {lines.Length} lines):" : "  log:");
            foreach (var line in lines.Skip(skipped))
            {
                text.AppendLine("  | " + line);
            }
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}
