using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Webhooks;
using TcWorker.Runtime.Workers;
using TcWorker.Tests.Shared;
using TcWorker.Workers;
using Xunit.Abstractions;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// The compatibility corpus (Corpus/*.json): payloads in the shapes real generic-worker and docker-worker tasks use,
/// each with what this worker does with it. <c>expected.here</c> is <c>runs</c> (run below, to <c>expected.state</c>),
/// <c>accepted</c> (valid here, not run, <c>expected.why</c> says why) or <c>refused</c> (a malformed payload whose
/// messages name <c>expected.text</c> and say the worker does not support it; <c>expected.gap</c> records a refusal
/// that is only a schema error today). Change the data, not the test, as the worker learns more keys.
/// </summary>
public sealed class CompatibilityCorpusTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string CorpusFolder = Path.Combine(Deployment.RepoRoot, "tests", "TcWorker.EndToEnd.Tests", "Corpus");
    private static readonly string SchemasFolder = Path.GetFullPath(Path.Combine(Deployment.RepoRoot, "..", "shared", "generic-worker-schemas", "generated-extract", "schemas"));
    private readonly string keys = Directory.CreateTempSubdirectory("tcw-corpus-").FullName;

    private sealed record Entry(string Name, string Schema, JObject Payload, JObject Expected)
    {
        public string Here => (string)Expected["here"]!;
    }

    public void Dispose() => Directory.Delete(keys, recursive: true);

    [SkippableFact]
    public async Task Every_payload_is_valid_for_the_official_schemas_and_together_they_use_every_key_of_both()
    {
        var genericWorker = await OfficialAsync("generic-worker/multiuser_posix.json");
        var dockerWorker = await OfficialAsync("docker-worker/v1/payload.json");
        var corpus = Corpus();
        foreach (var entry in corpus)
        {
            // multiuser_posix.json holds both forms (its second branch is docker-worker's, which d2g translates).
            var schemas = entry.Schema == "docker-worker" ? new[] { dockerWorker, genericWorker } : [genericWorker];
            foreach (var schema in schemas)
            {
                var errors = schema.Validate(entry.Payload.ToString());
                Assert.True(errors.Count == 0, $"{entry.Name}: not valid for the official schema {schema.Title}: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}"))}");
            }

            Assert.True(entry.Here is "runs" or "accepted" or "refused", $"{entry.Name}: expected.here must be runs, accepted or refused");
        }

        var gwBranch = (JObject)(await ReadAsync("generic-worker/multiuser_posix.json"))["oneOf"]![0]!;
        var dw = await ReadAsync("docker-worker/v1/payload.json");
        var keysOfSchemas = Keys("generic-worker", gwBranch, "features", "onExitStatus", "logs")
            .Concat(((JObject)gwBranch["properties"]!["artifacts"]!["items"]!["properties"]!).Properties().Select(p => ("generic-worker", "artifacts[]." + p.Name)))
            .Concat(Keys("docker-worker", dw, "features", "onExitStatus", "capabilities"))
            .Concat(((JObject)dw["properties"]!["capabilities"]!["properties"]!["devices"]!["properties"]!).Properties().Select(p => ("docker-worker", "capabilities.devices." + p.Name)));
        var used = corpus.SelectMany(e => Paths(e.Payload, string.Empty).Select(path => (e.Schema, path))).ToHashSet();
        var missing = keysOfSchemas.Where(k => !used.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "keys of the official schemas no corpus payload uses: " + string.Join(", ", missing.Select(m => $"{m.Item1}: {m.Item2}")));
    }

    [SkippableFact]
    public async Task Every_payload_is_accepted_by_a_native_and_docker_worker_or_refused_naming_the_feature()
    {
        var document = JObject.FromObject(new
        {
            engine = new[] { "native", "docker" },
            engines = new { native = new { }, docker = new { } },
            plugins = StockPlugins(Key()),
            worker = new { workerPoolId = "corpus/worker" },
        });
        var config = WorkerConfig.FromDocument(document, "corpus", _ => null);
        using var storage = TemporaryStorage.Open(Path.Combine(keys, "worker"));
        await using var webhooks = await WebhookServer.StartAsync(new WebhookServerOptions(), NullLoggerFactory.Instance);
        using var lifetime = new WorkerLifetime();
        var environment = new WorkerEnvironment(
            new WorkerIdentity("corpus/worker", "corpus", "corpus"), "http://127.0.0.1", storage, webhooks, new GarbageCollector(() => long.MaxValue, 0),
            NullLoggerFactory.Instance, lifetime, TimeProvider.System);
        await using (var components = await WorkerComponents.CreateAsync(config, Deployment.StockRegistry.Value, environment))
        {
            var schema = components.Components.PayloadSchema;
            var problems = new List<string>();
            foreach (var entry in Corpus())
            {
                var violations = schema.Validate(entry.Payload);
                var text = (string?)entry.Expected["text"];
                var gap = (string?)entry.Expected["gap"];
                var ok = entry.Here == "refused"
                    ? violations.Any(v => v.Contains("$." + text, StringComparison.Ordinal) && (gap is not null || Refusal(v)))
                    : violations.Count == 0;
                if (ok && gap is not null)
                {
                    output.WriteLine($"{entry.Name}: a known gap: {gap}");
                }

                if (!ok)
                {
                    problems.Add($"{entry.Name} (expected {entry.Here}{(text is null ? string.Empty : $" naming {text}")}): {(violations.Count == 0 ? "accepted" : string.Join(" | ", violations))}");
                }
            }

            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        }
    }

    [SkippableFact]
    public async Task The_payloads_that_can_run_here_run_in_one_worker_and_the_others_say_why_not()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "The corpus runs its tasks as users of their own (createUser, which chain of trust needs), and that needs root.");
        var corpus = Corpus();
        foreach (var entry in corpus.Where(e => e.Here != "runs"))
        {
            var why = entry.Here == "refused" ? $"refused: this worker does not offer {entry.Expected["text"]}" : (string?)entry.Expected["why"];
            Assert.False(string.IsNullOrWhiteSpace(why), $"{entry.Name}: an accepted payload that is not run must say why (expected.why)");
            output.WriteLine($"{entry.Name}: not run here; {why}");
        }

        var runnable = corpus.Where(e => e.Here == "runs").ToList();
        await using var deployment = await Deployment.StartAsync();
        var tasks = new List<(Entry Entry, string TaskId)>();
        foreach (var entry in runnable)
        {
            // Real tasks' artifacts expire with them or before; the corpus's dates are far ahead, and so is the task's expiry.
            tasks.Add((entry, await deployment.CreateTaskAsync(entry.Payload, task => task["expires"] = "2100-01-01T00:00:00.000Z")));
        }

        var config = deployment.Config(tasks: runnable.Count, capacity: 2);
        config["engines"]!["native"]!["createUser"] = true;
        ChainOfTrustTests.PassThrough(deployment);
        config["plugins"] = StockPlugins(Key());
        using (var lifetime = new WorkerLifetime())
        {
            await Deployment.RunWorkerAsync(config, lifetime);
        }

        foreach (var (entry, taskId) in tasks)
        {
            var state = (await deployment.StatusAsync(taskId)).Runs[0].State;
            var log = state == (string?)entry.Expected["state"] ? string.Empty : (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
            Assert.True(log.Length == 0, $"{entry.Name}: {state}, expected {entry.Expected["state"]}: {log}");
            output.WriteLine($"{entry.Name}: ran, {state}");
        }
    }

    /// <summary>A refusal names what the worker lacks, not merely a schema rule.</summary>
    private static bool Refusal(string message) =>
        new[] { "not supported", "does not offer", "does not support", "lacks", "cannot" }.Any(s => message.Contains(s, StringComparison.Ordinal));

    private static JObject StockPlugins(string keyFile) => JObject.FromObject(new
    {
        env = new { },
        maxruntime = new { },
        success = new { },
        livelog = new { },
        artifacts = new { },
        mounts = new { },
        taskclusterproxy = new { },
        interactive = new { },
        secretmask = new { },
        chainoftrust = new { ed25519SigningKeyLocation = keyFile },
    });

    private string Key()
    {
        var file = Path.Combine(keys, "ed25519.key");
        if (!File.Exists(file))
        {
            File.WriteAllText(file, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return file;
    }

    private static List<Entry> Corpus() =>
        [.. Directory.GetFiles(CorpusFolder, "*.json").Order(StringComparer.Ordinal).Select(file =>
        {
            var json = JObject.Parse(File.ReadAllText(file));
            return new Entry(Path.GetFileNameWithoutExtension(file), (string)json["schema"]!, (JObject)json["payload"]!, (JObject)json["expected"]!);
        })];

    /// <summary>The keys of a schema's object, and of the named objects inside it, as dotted paths.</summary>
    private static IEnumerable<(string Schema, string Path)> Keys(string schemaName, JObject schema, params string[] inner)
    {
        var properties = (JObject)schema["properties"]!;
        foreach (var property in properties.Properties())
        {
            yield return (schemaName, property.Name);
        }

        foreach (var name in inner)
        {
            foreach (var property in ((JObject)properties[name]!["properties"]!).Properties())
            {
                yield return (schemaName, $"{name}.{property.Name}");
            }
        }
    }

    /// <summary>The dotted key paths a payload uses: list items are <c>name[]</c>; docker-worker's artifact and cache maps end at the map.</summary>
    private static IEnumerable<string> Paths(JToken token, string prefix)
    {
        switch (token)
        {
            case JObject obj when prefix is not ("artifacts" or "cache" or "env"):
                foreach (var property in obj.Properties())
                {
                    var path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
                    yield return path;
                    foreach (var inner in Paths(property.Value, path))
                    {
                        yield return inner;
                    }
                }

                break;
            case JArray array:
                foreach (var inner in array.SelectMany(item => Paths(item, prefix + "[]")))
                {
                    yield return inner;
                }

                break;
        }
    }

    private static async Task<JObject> ReadAsync(string relative)
    {
        var path = Path.Combine(SchemasFolder, relative);
        TestFiles.Require(File.Exists(path), $"{path} is missing: the official generic-worker and docker-worker payload schemas (taskcluster/taskcluster, MPL-2.0) belong in ../shared/generic-worker-schemas next to the repository.");
        return JObject.Parse(await File.ReadAllTextAsync(path));
    }

    private static async Task<JsonSchema> OfficialAsync(string relative)
    {
        var schema = await ReadAsync(relative);
        // Their $id and $schema are deployment-relative URLs; the definitions they use are all local.
        schema.Remove("$id");
        schema.Remove("$schema");
        return await JsonSchema.FromJsonAsync(schema.ToString());
    }
}
