using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Engines.Mock;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Runtime.Documentation;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Testing.Tests;

/// <summary>
/// A worker with three engines (the mock engine, and two small docker-worker-dialect engines whose
/// payload needs an <c>image</c>), end to end through the worker harness: each payload runs on the
/// engine whose branch it matches, with only the plugins of that branch.
/// </summary>
public sealed class MultiEngineWorkerTests
{
    private const string Config = """
        engine: [mock, imagelike, imagetwin]
        plugins: {files: {}, gw-only: {}, proxyflag: {}}
        """;

    private static void Register(ITcWorkerBuilder builder) => builder
        .AddEngine<MockEngineProvider>()
        .AddEngine<ImageEngineProvider>()
        .AddEngine<TwinImageEngineProvider>()
        .AddPlugin<FilesPluginProvider>()
        .AddPlugin<GenericOnlyPluginProvider>()
        .AddPlugin<ProxyFlagPluginProvider>();

    [Fact]
    public async Task Each_payload_runs_on_the_engine_whose_branch_it_matches()
    {
        ImageEngine.Reset();
        var result = await new WorkerHarness(Config, Register).AssertPassesAsync(new WorkerCase
        {
            Name = "several-engines",
            Capacity = 8,
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "on-mock",
                    Payload = """{"function": "write-log", "argument": "from mock", "files": ["a.txt"], "features": {"fakeProxy": true}}""",
                    Expect = new TaskExpectation
                    {
                        Resolution = "completed",
                        LogContains =
                        [
                            "from mock",
                            "files plugin with engine mock (generic-worker) got {\"files\":[\"a.txt\"]}",
                            "gw-only plugin runs with engine mock",
                            "proxyflag plugin got {\"features\":{\"fakeProxy\":true}}",
                        ],
                    },
                },
                new WorkerCaseTask
                {
                    Name = "on-image",
                    Payload = """{"image": "alpine", "sleepMs": 300, "files": {"out": {"path": "/out"}}}""",
                    Expect = new TaskExpectation
                    {
                        Resolution = "completed",
                        LogContains = ["imagelike runs image alpine", "files plugin with engine imagelike (docker-worker) got {\"files\":{\"out\":{\"path\":\"/out\"}}}"],
                        LogDoesNotContain = ["gw-only", "proxyflag plugin got"],
                    },
                },
                new WorkerCaseTask
                {
                    Name = "on-image-too",
                    Payload = """{"image": "busybox", "sleepMs": 300}""",
                    Expect = new TaskExpectation { Resolution = "completed", LogContains = ["imagelike runs image busybox"] },
                },
                new WorkerCaseTask
                {
                    Name = "ambiguous",
                    Payload = """{"image": "alpine", "command": ["echo", "hi"]}""",
                    Expect = new TaskExpectation
                    {
                        Resolution = "exception/malformed-payload",
                        LogContains = ["$: the payload matches the payload forms of several engines of this worker: 'imagelike', 'imagetwin'; it must match exactly one"],
                        LogDoesNotContain = ["runs image"],
                    },
                },
                new WorkerCaseTask
                {
                    Name = "no-match",
                    Payload = """{"function": "true", "image": 5}""",
                    Expect = new TaskExpectation
                    {
                        Resolution = "exception/malformed-payload",
                        LogContains =
                        [
                            "$: the payload matches none of the engines of this worker ('mock', 'imagelike', 'imagetwin'); it comes closest to engine 'mock' (generic-worker payload), which finds these problems:",
                            "$.image: the generic-worker payload key 'image' is not supported by this worker yet",
                            "$: engine 'imagelike' (docker-worker payload) does not match either: $.function: the property 'function' is not allowed here (and 1 more)",
                            "$: engine 'imagetwin' (docker-worker payload) does not match either: ",
                        ],
                    },
                },
                new WorkerCaseTask
                {
                    Name = "other-dialects-form",
                    Payload = """{"function": "true", "files": {"x": {"path": "/x"}}}""",
                    Expect = new TaskExpectation
                    {
                        Resolution = "exception/malformed-payload",
                        LogContains = ["it comes closest to engine 'mock'", "$.files: expected an array, found an object"],
                    },
                },
            ],
        });

        // The image engine runs one task at a time although the worker claimed both of its tasks at once.
        Assert.Equal(1, ImageEngine.MostAtOnce("imagelike"));
        Assert.Contains(
            new[] { result["on-image"].Log, result["on-image-too"].Log },
            log => log.Contains("Waiting for engine 'imagelike': it runs at most 1 task(s) at once", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_with_several_engines_composes_a_one_of_with_a_branch_per_engine()
    {
        await using var environment = await EngineTestEnvironment.CreateAsync();
        EngineOptions Options() => new() { Config = [], Environment = environment.Environment, Logger = NullLogger.Instance };
        PluginOptions PluginOptions() => new() { Config = [], Environment = environment.Environment, Logger = NullLogger.Instance };
        var components = new TaskRunComponents(
            [new NamedEngine("mock", new MockEngineProvider().Create(Options())), new NamedEngine("imagelike", new ImageEngineProvider().Create(Options()))],
            [new NamedPlugin("files", new FilesPluginProvider().Create(PluginOptions())), new NamedPlugin("gw-only", new GenericOnlyPluginProvider().Create(PluginOptions()))]);

        var schema = components.PayloadSchema.Schema;
        var branches = ((JArray)schema["oneOf"]!).Cast<JObject>().ToList();
        Assert.Equal(["Engine 'mock' (generic-worker payload)", "Engine 'imagelike' (docker-worker payload)"], branches.Select(b => b.Value<string>("title")));
        Assert.Null(schema["properties"]);
        Assert.Equal("function", branches[0]["required"]![0]!.Value<string>());
        Assert.Equal("image", branches[1]["required"]![0]!.Value<string>());
        Assert.Equal("#/definitions/plugin-files.file", branches[0].SelectToken("properties.files.items.$ref")!.Value<string>());
        Assert.Equal("#/definitions/plugin-files@2.file", branches[1].SelectToken("properties.files.additionalProperties.$ref")!.Value<string>());
        Assert.Equal(["plugin-files.file", "plugin-files@2.file"], ((JObject)schema["definitions"]!).Properties().Select(p => p.Name));

        var docs = MarkdownDocs.Render(components);
        Assert.StartsWith("# Task payload: engines `mock`, `imagelike`\n", docs, StringComparison.Ordinal);
        Assert.Contains("## Engine `imagelike` (docker-worker payload)\n", docs, StringComparison.Ordinal);
        Assert.Contains("### Plugins with this engine\n\n`files`, `gw-only`.\n", docs, StringComparison.Ordinal);
        Assert.Contains("### Plugins with this engine\n\n`files`. Not with this engine: `gw-only`.\n", docs, StringComparison.Ordinal);
        Assert.Contains("| `image` | string | yes |", docs, StringComparison.Ordinal);
        Assert.Contains("### Payload keys (engine `imagelike`)\n\n(the component takes no part in this engine's tasks)", docs, StringComparison.Ordinal);
        Assert.Contains("| `files` | object | no |", docs, StringComparison.Ordinal);
        Assert.Contains("| `files` | array of string | no |", docs, StringComparison.Ordinal);
        Assert.Contains("\"image\": \"...\"", docs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_listed_engine_is_created_and_disposed_and_a_failed_creation_disposes_what_was_created()
    {
        await using var environment = await EngineTestEnvironment.CreateAsync();
        var services = new ServiceCollection();
        services.AddTcWorker(o => o.IncludeDefaultPluginDirectory = false)
            .AddEngine<ImageEngineProvider>().AddEngine<TwinImageEngineProvider>().AddEngine<BrokenEngineProvider>();
        await using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<TcWorker.Runtime.Discovery.ComponentRegistry>();
        TcWorker.Runtime.Configuration.WorkerConfig Config(string engines) =>
            TcWorker.Runtime.Configuration.WorkerConfig.FromDocument(JObject.Parse($"{{\"engine\": {engines}, \"worker\": {{\"workerPoolId\": \"a/b\"}}}}"), "test", _ => null);

        ImageEngine.Reset();
        await using (var components = await TcWorker.Runtime.Hosting.WorkerComponents.CreateAsync(Config("[\"imagelike\", \"imagetwin\"]"), registry, environment.Environment))
        {
            Assert.Equal(["imagelike", "imagetwin"], components.Components.Engines.Select(e => e.Name));
            Assert.Empty(ImageEngine.Disposed);
        }

        Assert.Equal(["imagetwin", "imagelike"], ImageEngine.Disposed);

        ImageEngine.Reset();
        var error = await Assert.ThrowsAsync<TcWorker.Runtime.Configuration.ConfigException>(() =>
            TcWorker.Runtime.Hosting.WorkerComponents.CreateAsync(Config("[\"imagelike\", \"broken\"]"), registry, environment.Environment));
        Assert.Equal(["$.engine[1]: creating the engine 'broken' failed: no licence"], error.Problems);
        Assert.Equal(["imagelike"], ImageEngine.Disposed);
    }

    public sealed class BrokenEngineProvider : IEngineProvider
    {
        public string Name => "broken";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public IEngine Create(EngineOptions options) => throw new InvalidOperationException("no licence");
    }

    /// <summary>An engine of the docker-worker dialect: its payload needs an image; it runs one task at a time and logs the image.</summary>
    public class ImageEngineProvider : IEngineProvider
    {
        public virtual string Name => "imagelike";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        /// <summary>Whether the payload also needs a command (the twin does, so a payload with both matches both).</summary>
        protected virtual bool NeedsCommand => false;

        public IEngine Create(EngineOptions options) => new ImageEngine(Name, NeedsCommand);
    }

    public sealed class TwinImageEngineProvider : ImageEngineProvider
    {
        public override string Name => "imagetwin";

        protected override bool NeedsCommand => true;
    }

    internal sealed class ImageEngine(string name, bool needsCommand) : IEngine
    {
        private static readonly ConcurrentDictionary<string, (int Now, int Most)> Running = new();
        private static readonly ConcurrentQueue<string> DisposedEngines = new();

        /// <summary>The names of the engines disposed since <see cref="Reset"/>, in order.</summary>
        public static IReadOnlyList<string> Disposed => [.. DisposedEngines];

        public EngineCapabilities Capabilities { get; } = new() { MaxConcurrency = 1 };

        public string PayloadDialect => PayloadDialects.DockerWorker;

        public JObject PayloadSchema
        {
            get
            {
                var schema = JObject.Parse("""
                    {
                      "type": "object",
                      "required": ["image"],
                      "properties": {
                        "image": {"type": "string", "description": "The image."},
                        "command": {"type": "array", "items": {"type": "string"}},
                        "sleepMs": {"type": "integer", "minimum": 0}
                      }
                    }
                    """);
                if (needsCommand)
                {
                    ((JArray)schema["required"]!).Add("command");
                }

                return schema;
            }
        }

        public IReadOnlyList<DocSection> Documentation => [new("Images", "Runs nothing; logs the image.")];

        public static void Reset()
        {
            Running.Clear();
            DisposedEngines.Clear();
        }

        public static int MostAtOnce(string engine) => Running.TryGetValue(engine, out var counts) ? counts.Most : 0;

        public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(options);
            var image = options.Payload.Value<string>("image") ?? throw new MalformedPayloadException("$.image: missing");
            return Task.FromResult<ISandboxBuilder>(new Sandbox(name, image, options.Payload.Value<int?>("sleepMs") ?? 0, options.Task.Log));
        }

        public ValueTask DisposeAsync()
        {
            DisposedEngines.Enqueue(name);
            return ValueTask.CompletedTask;
        }

        private sealed class Sandbox(string engine, string image, int sleepMs, Tasks.ITaskLog log) : ISandboxBuilder, ISandbox, IResultSet
        {
            private readonly CancellationTokenSource abort = new();
            private Task<IResultSet>? result;

            public bool Success => true;

            public int? ExitCode => 0;

            public void SetEnvironmentVariable(string name, string value) => throw new FeatureNotSupportedException("environment variables");

            public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
            {
                result = RunAsync();
                return Task.FromResult<ISandbox>(this);
            }

            public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => result!.WaitAsync(cancellationToken);

            public Task AbortAsync() => abort.CancelAsync();

            public ValueTask DisposeAsync()
            {
                abort.Dispose();
                return ValueTask.CompletedTask;
            }

            private async Task<IResultSet> RunAsync()
            {
                Running.AddOrUpdate(engine, (1, 1), (_, c) => (c.Now + 1, Math.Max(c.Most, c.Now + 1)));
                try
                {
                    log.WriteLine($"{engine} runs image {image}");
                    await Task.Delay(sleepMs, abort.Token).ConfigureAwait(false);
                    return this;
                }
                catch (OperationCanceledException)
                {
                    throw new SandboxAbortedException();
                }
                finally
                {
                    Running.AddOrUpdate(engine, (0, 0), (_, c) => (c.Now - 1, c.Most));
                }
            }
        }
    }

    /// <summary>A plugin whose key has a different form per dialect: a list of names, or an object keyed by name.</summary>
    public sealed class FilesPluginProvider : IPluginProvider
    {
        public string Name => "files";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public IPlugin Create(PluginOptions options) => new FilesPlugin();

        private sealed class FilesPlugin : IPlugin
        {
            public JObject PayloadSchema => GetPayloadSchema(PayloadDialects.GenericWorker);

            public IReadOnlyList<DocSection> Documentation => [];

            public JObject? GetPayloadSchema(PayloadBranch branch) => GetPayloadSchema(branch.Dialect);

            public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
            {
                options.Task.Log.WriteLine($"files plugin with engine {options.Engine.Name} ({options.Engine.Dialect}) got {options.Payload.ToString(Formatting.None)}");
                return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;

            // Both forms name their definition 'file', each its own.
            private static JObject GetPayloadSchema(string dialect) => dialect == PayloadDialects.DockerWorker
                ? JObject.Parse("""
                    {"type": "object",
                     "properties": {"files": {"type": "object", "additionalProperties": {"$ref": "#/definitions/file"}}},
                     "definitions": {"file": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}}}
                    """)
                : JObject.Parse("""
                    {"type": "object",
                     "properties": {"files": {"type": "array", "items": {"$ref": "#/definitions/file"}}},
                     "definitions": {"file": {"type": "string", "minLength": 1}}}
                    """);
        }
    }

    /// <summary>A plugin for generic-worker payloads only: it takes no part in the docker-worker branches.</summary>
    public sealed class GenericOnlyPluginProvider : IPluginProvider
    {
        public string Name => "gw-only";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public IPlugin Create(PluginOptions options) => new GenericOnlyPlugin();

        private sealed class GenericOnlyPlugin : IPlugin
        {
            public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

            public IReadOnlyList<DocSection> Documentation => [];

            public JObject? GetPayloadSchema(PayloadBranch branch) => branch.Dialect == PayloadDialects.GenericWorker ? PayloadSchema : null;

            public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
            {
                options.Task.Log.WriteLine($"gw-only plugin runs with engine {options.Engine.Name}");
                return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>A plugin that owns one key inside the runtime's <c>features</c> container.</summary>
    public sealed class ProxyFlagPluginProvider : IPluginProvider
    {
        public string Name => "proxyflag";

        public JObject ConfigSchema => new() { ["type"] = "object" };

        public IPlugin Create(PluginOptions options) => new ProxyFlagPlugin();

        private sealed class ProxyFlagPlugin : IPlugin
        {
            public JObject PayloadSchema => JObject.Parse("""{"type": "object", "properties": {"features": {"type": "object", "properties": {"fakeProxy": {"type": "boolean"}}}}}""");

            public IReadOnlyList<DocSection> Documentation => [];

            public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
            {
                if (options.Payload.Count > 0)
                {
                    options.Task.Log.WriteLine($"proxyflag plugin got {options.Payload.ToString(Formatting.None)}");
                }

                return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
