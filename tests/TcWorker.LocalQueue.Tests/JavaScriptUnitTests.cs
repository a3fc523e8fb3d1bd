using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TcWorker.LocalQueue.Tests;

/// <summary>
/// The dashboard's and the log viewer's JavaScript unit tests (js/*.test.mjs), run once by node's
/// test runner; each becomes a case here, so it counts in ./test.sh's totals and fails it.
/// </summary>
public sealed partial class JavaScriptUnitTests
{
    private static readonly Lazy<Results> Run = new(RunNode);

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var name in Run.Value.Outcomes.Keys)
        {
            names.Add(name);
        }

        // Without node there is still one case, which says why.
        if (names.Count == 0)
        {
            names.Add("(node's test runner)");
        }

        return names;
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Passes(string name)
    {
        var results = Run.Value;
        if (results.Problem is { } problem)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", problem);
            Skip.If(true, problem);
        }

        Assert.True(results.Outcomes.TryGetValue(name, out var passed), $"{name} was not reported by node's test runner:\n{results.Output}");
        Assert.True(passed, $"{name} failed:\n{results.Output}");
    }

    private static Results RunNode()
    {
        var folder = Path.Combine(TestFiles.RepoRoot, "tests", "TcWorker.LocalQueue.Tests", "js");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestFiles.RepoRoot };
        foreach (var argument in new[] { "--experimental-detect-module", "--test", "--test-reporter=tap" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var file in Directory.GetFiles(folder, "*.test.mjs").Order(StringComparer.Ordinal))
        {
            start.ArgumentList.Add(file);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Results(new Dictionary<string, bool>(), string.Empty, $"node is not installed ({e.Message}); the JavaScript unit tests need node 20");
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var outcomes = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (Match match in TapLine().Matches(output))
            {
                outcomes[match.Groups["name"].Value.Trim()] = match.Groups["not"].Length == 0;
            }

            var text = output + error.Result;
            return outcomes.Count == 0
                ? new Results(outcomes, text, $"node's test runner reported no test (exit code {process.ExitCode}):\n{text}")
                : new Results(outcomes, text, null);
        }
    }

    // Top-level results only: subtests are indented.
    [GeneratedRegex(@"^(?<not>not )?ok \d+ - (?<name>[^#\n]+?)(?: #[^\n]*)?$", RegexOptions.Multiline)]
    private static partial Regex TapLine();

    private sealed record Results(Dictionary<string, bool> Outcomes, string Output, string? Problem);
}
