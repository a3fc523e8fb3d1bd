using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Testing;

/// <summary>
/// Reads <see cref="WorkerCase"/>s from YAML or JSON. A file holds one case; its keys are the
/// properties of <see cref="WorkerCase"/> in camel case, durations in seconds:
/// <code>
/// name: hello
/// config: {plugins: {maxruntime: {maxRunTime: 5}}}   # optional, an object or text
/// capacity: 1                                        # optional
/// timeout: 120                                       # optional
/// tasks:
///   - name: hello
///     payload: {command: [[sh, -c, echo hello]]}
///     deadline: 600                                  # optional; also dependsOn, definition, cancelAfter
///     expect:
///       resolution: completed
///       logContains: [hello]
///       artifacts:
///         - {name: public/out.txt, content: "hi\n", contentType: text/plain}
///         - {name: public/missing.txt, errorReason: file-missing-on-worker}
/// </code>
/// Unknown keys and wrong types are errors naming their path, all at once.
/// </summary>
public static class WorkerCaseFile
{
    /// <summary>Reads one case from a file. Throws <see cref="FormatException"/> listing every problem.</summary>
    /// <param name="path">A <c>.yml</c>, <c>.yaml</c> or <c>.json</c> file.</param>
    /// <returns>The case; its name defaults to the file name without extension.</returns>
    public static WorkerCase Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Reads every <c>.yml</c>, <c>.yaml</c> and <c>.json</c> file of a folder, in file name order.</summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The cases.</returns>
    public static IReadOnlyList<WorkerCase> LoadFolder(string folder) =>
        [.. Directory.EnumerateFiles(folder)
            .Where(f => Path.GetExtension(f) is ".yml" or ".yaml" or ".json")
            .Order(StringComparer.Ordinal)
            .Select(Load)];

    /// <summary>Reads one case from YAML or JSON text. Throws <see cref="FormatException"/> listing every problem.</summary>
    /// <param name="text">The case.</param>
    /// <param name="source">Where the text came from, for messages.</param>
    /// <param name="defaultName">The name when the text has none.</param>
    /// <returns>The case.</returns>
    public static WorkerCase Parse(string text, string source, string? defaultName = null)
    {
        JToken document;
        try
        {
            document = JsonDocumentReader.Parse(text, source);
        }
        catch (ConfigException e)
        {
            throw new FormatException(e.Message, e);
        }

        var reader = new Reader();
        var result = reader.Case(document, defaultName);
        if (reader.Problems.Count > 0 || result is null)
        {
            throw new FormatException($"The worker case {source} is invalid:\n" + string.Join("\n", reader.Problems.Select(p => "  " + p)));
        }

        return result;
    }

    private sealed class Reader
    {
        public List<string> Problems { get; } = [];

        public WorkerCase? Case(JToken document, string? defaultName)
        {
            if (!Object(document, "$", ["name", "config", "capacity", "timeout", "tasks"]) || document is not JObject root)
            {
                return null;
            }

            var name = String(root, "name", "$") ?? defaultName;
            if (name is null)
            {
                Problems.Add("$.name: missing");
            }

            var tasks = new List<WorkerCaseTask>();
            if (root["tasks"] is JArray { Count: > 0 } list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (Task(list[i], $"$.tasks[{i}]") is { } task)
                    {
                        tasks.Add(task);
                    }
                }
            }
            else
            {
                Problems.Add("$.tasks: must be a non-empty list of tasks");
            }

            var config = root["config"] switch
            {
                null => null,
                JObject fragment => fragment.ToString(),
                JValue { Type: JTokenType.String } fragment => (string)fragment!,
                _ => Invalid<string>("$.config", "must be an object or YAML text"),
            };
            var capacity = root["capacity"] is null ? null : Integer(root, "capacity", "$");
            var timeout = Seconds(root, "timeout", "$") ?? TimeSpan.FromMinutes(2);
            return name is null ? null : new WorkerCase { Name = name, Tasks = tasks, Config = config, Capacity = capacity, Timeout = timeout };
        }

        private WorkerCaseTask? Task(JToken token, string path)
        {
            if (!Object(token, path, ["name", "payload", "deadline", "dependsOn", "definition", "cancelAfter", "expect"]) || token is not JObject task)
            {
                return null;
            }

            var name = String(task, "name", path);
            if (name is null)
            {
                Problems.Add($"{path}.name: missing");
            }

            if (task["payload"] is not (JObject or JValue { Type: JTokenType.String }))
            {
                Problems.Add($"{path}.payload: must be an object or YAML text");
            }

            if (task["definition"] is not (null or JObject))
            {
                Problems.Add($"{path}.definition: must be an object");
            }

            var deadline = Seconds(task, "deadline", path);
            var dependsOn = Strings(task, "dependsOn", path);
            var cancelAfter = Seconds(task, "cancelAfter", path);
            var expect = Expect(task["expect"], path + ".expect");
            return name is null ? null : new WorkerCaseTask
            {
                Name = name,
                Payload = task["payload"] is JValue text ? (object)(string)text! : task["payload"] ?? new JObject(),
                Deadline = deadline,
                DependsOn = dependsOn,
                Definition = task["definition"] as JObject,
                CancelAfter = cancelAfter,
                Expect = expect,
            };
        }

        private TaskExpectation Expect(JToken? token, string path)
        {
            if (token is null || !Object(token, path, ["resolution", "logContains", "logDoesNotContain", "logMatches", "artifacts"]) || token is not JObject expect)
            {
                return new TaskExpectation();
            }

            var artifacts = new List<ArtifactExpectation>();
            if (expect["artifacts"] is JArray list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    var at = $"{path}.artifacts[{i}]";
                    if (Object(list[i], at, ["name", "content", "contains", "contentType", "errorReason", "absent"]) && list[i] is JObject artifact)
                    {
                        if (String(artifact, "name", at) is { } name)
                        {
                            artifacts.Add(new ArtifactExpectation(name)
                            {
                                Content = String(artifact, "content", at),
                                Contains = String(artifact, "contains", at),
                                ContentType = String(artifact, "contentType", at),
                                ErrorReason = String(artifact, "errorReason", at),
                                Absent = artifact["absent"] is JValue { Type: JTokenType.Boolean } absent ? (bool)absent : artifact["absent"] is null ? false : Invalid<bool>(at + ".absent", "must be true or false"),
                            });
                        }
                        else
                        {
                            Problems.Add($"{at}.name: missing");
                        }
                    }
                }
            }
            else if (expect["artifacts"] is not null)
            {
                Problems.Add($"{path}.artifacts: must be a list");
            }

            return new TaskExpectation
            {
                Resolution = String(expect, "resolution", path) ?? "completed",
                LogContains = Strings(expect, "logContains", path),
                LogDoesNotContain = Strings(expect, "logDoesNotContain", path),
                LogMatches = Strings(expect, "logMatches", path),
                Artifacts = artifacts,
            };
        }

        private bool Object(JToken token, string path, string[] keys)
        {
            if (token is not JObject obj)
            {
                Problems.Add($"{path}: must be an object");
                return false;
            }

            var unknown = obj.Properties().Where(p => !keys.Contains(p.Name, StringComparer.Ordinal)).ToList();
            Problems.AddRange(unknown.Select(p => $"{path}.{p.Name}: unknown key; expected one of {string.Join(", ", keys)}"));
            return true;
        }

        private string? String(JObject obj, string key, string path) => obj[key] switch
        {
            null or JValue { Type: JTokenType.Null } => null,
            JValue { Type: JTokenType.String or JTokenType.Integer or JTokenType.Float or JTokenType.Boolean } value => Convert.ToString(value.Value, CultureInfo.InvariantCulture),
            _ => Invalid<string>($"{path}.{key}", "must be a text"),
        };

        private IReadOnlyList<string> Strings(JObject obj, string key, string path)
        {
            if (obj[key] is null)
            {
                return [];
            }

            if (obj[key] is JArray list && list.All(v => v.Type == JTokenType.String))
            {
                return [.. list.Values<string>().OfType<string>()];
            }

            Problems.Add($"{path}.{key}: must be a list of texts");
            return [];
        }

        private int? Integer(JObject obj, string key, string path) =>
            obj[key] is JValue { Type: JTokenType.Integer } value && (long)value is > 0 and <= int.MaxValue ? (int)value : Invalid<int?>($"{path}.{key}", "must be a positive whole number");

        private TimeSpan? Seconds(JObject obj, string key, string path) => obj[key] switch
        {
            null => null,
            JValue { Type: JTokenType.Integer or JTokenType.Float } value when (double)value > 0 => TimeSpan.FromSeconds((double)value),
            _ => Invalid<TimeSpan?>($"{path}.{key}", "must be a positive number of seconds"),
        };

        private T? Invalid<T>(string path, string message)
        {
            Problems.Add($"{path}: {message}");
            return default;
        }
    }
}
