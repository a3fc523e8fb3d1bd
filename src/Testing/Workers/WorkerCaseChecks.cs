using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Testing;

/// <summary>Checks a case before it runs, and its outcomes against its expectations after.</summary>
internal static class WorkerCaseChecks
{
    private static readonly string[] States = ["completed", "failed", "exception"];

    /// <summary>Throws <see cref="ArgumentException"/> listing every inconsistency; returns the parsed payloads.</summary>
    public static IReadOnlyList<JObject> Validate(WorkerCase workerCase)
    {
        var problems = new List<string>();
        var payloads = new List<JObject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (workerCase.Tasks is not { Count: > 0 })
        {
            problems.Add("it has no task");
        }

        foreach (var task in workerCase.Tasks ?? [])
        {
            if (!seen.Add(task.Name))
            {
                problems.Add($"the task name '{task.Name}' is used twice");
            }

            problems.AddRange(task.DependsOn.Where(d => !seen.Contains(d) || d == task.Name).Select(d => $"the task '{task.Name}' depends on '{d}', which is not listed before it"));
            var resolution = task.Expect.Resolution.Split('/', 2);
            if (!States.Contains(resolution[0]) || (resolution.Length == 2 && (resolution[0] != "exception" || resolution[1].Length == 0)))
            {
                problems.Add($"the task '{task.Name}' expects the resolution '{task.Expect.Resolution}'; use completed, failed, exception or exception/REASON");
            }

            foreach (var pattern in task.Expect.LogMatches)
            {
                try
                {
                    _ = new Regex(pattern, RegexOptions.Multiline);
                }
                catch (ArgumentException e)
                {
                    problems.Add($"the task '{task.Name}' has an invalid log pattern '{pattern}': {e.Message}");
                }
            }

            payloads.Add(Payload(task, problems));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"The worker case '{workerCase.Name}' is inconsistent:\n" + string.Join("\n", problems.Select(p => "  " + p)), nameof(workerCase));
        }

        return payloads;
    }

    /// <summary>Every mismatch between the outcomes and the expectations, one line each.</summary>
    public static IEnumerable<string> Check(WorkerCase workerCase, IReadOnlyList<WorkerTaskOutcome> outcomes)
    {
        foreach (var (task, outcome) in workerCase.Tasks.Zip(outcomes))
        {
            var expect = task.Expect;
            var prefix = $"task '{task.Name}' ({outcome.TaskId}): ";
            var wanted = expect.Resolution;
            if (wanted == "exception" ? outcome.State != "exception" : outcome.Resolution != wanted)
            {
                yield return prefix + $"resolution: expected {wanted}, got {outcome.Resolution}";
            }

            foreach (var text in expect.LogContains.Where(t => !outcome.Log.Contains(t, StringComparison.Ordinal)))
            {
                yield return prefix + $"log: does not contain \"{text}\"";
            }

            foreach (var text in expect.LogDoesNotContain.Where(t => outcome.Log.Contains(t, StringComparison.Ordinal)))
            {
                yield return prefix + $"log: contains \"{text}\", which it must not";
            }

            foreach (var pattern in expect.LogMatches.Where(p => !Regex.IsMatch(outcome.Log, p, RegexOptions.Multiline)))
            {
                yield return prefix + $"log: no match for /{pattern}/";
            }

            foreach (var artifact in expect.Artifacts)
            {
                outcome.Artifacts.TryGetValue(artifact.Name, out var actual);
                foreach (var mismatch in CheckArtifact(artifact, actual))
                {
                    yield return prefix + $"artifact {artifact.Name}: {mismatch}";
                }
            }
        }
    }

    private static IEnumerable<string> CheckArtifact(ArtifactExpectation expected, WorkerArtifact? actual)
    {
        if (actual is null)
        {
            if (!expected.Absent)
            {
                yield return "missing";
            }

            yield break;
        }

        if (expected.Absent)
        {
            yield return $"expected to be absent, got {actual}";
            yield break;
        }

        if (expected.ErrorReason is { } reason && actual.ErrorReason != reason)
        {
            yield return $"expected an error artifact with reason {reason}, got {actual}";
        }

        if (expected.ContentType is { } contentType && actual.ContentType != contentType)
        {
            yield return $"content type: expected {contentType}, got {actual.ContentType ?? "none"}";
        }

        if (expected.Content is null && expected.Contains is null)
        {
            yield break;
        }

        if (actual.Content is not { } content)
        {
            yield return $"expected content, got {actual}{(actual.FetchError is null ? string.Empty : " (" + actual.FetchError + ")")}";
        }
        else if (expected.Content is { } exact && content != exact)
        {
            yield return $"content: expected {Quote(exact)}, got {Quote(content)}";
        }
        else if (expected.Contains is { } part && !content.Contains(part, StringComparison.Ordinal))
        {
            yield return $"content: does not contain {Quote(part)}; it is {Quote(content)}";
        }
    }

    private static JObject Payload(WorkerCaseTask task, List<string> problems)
    {
        try
        {
            var payload = task.Payload switch
            {
                string text => JsonDocumentReader.Parse(text, $"the payload of the task '{task.Name}'"),
                JToken token => token.DeepClone(),
                null => null,
                var other => JToken.FromObject(other),
            };
            if (payload is JObject obj)
            {
                return obj;
            }

            problems.Add($"the payload of the task '{task.Name}' is not an object");
        }
        catch (Exception e) when (e is ConfigException or JsonException or ArgumentException)
        {
            problems.Add($"the payload of the task '{task.Name}' cannot be read: {e.Message}");
        }

        return [];
    }

    private static string Quote(string text) => JsonConvert.ToString(text.Length <= 300 ? text : text[..300] + "...");
}
