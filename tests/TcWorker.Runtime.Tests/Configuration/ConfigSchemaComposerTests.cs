using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;

namespace TcWorker.Runtime.Tests.Configuration;

public sealed class ConfigSchemaComposerTests
{
    private static readonly Lazy<ComponentRegistry> Registry = new(() =>
    {
        var services = new ServiceCollection();
        services.AddTcWorker(o =>
        {
            o.IncludeDefaultPluginDirectory = false;
            o.PluginDirectories.Add(TestAssetFolders.Root);
        }).AddPlugin<StrictPluginProvider>().AddEngine<OtherEngineProvider>();
        return services.BuildServiceProvider().GetRequiredService<ComponentRegistry>();
    });

    private static IReadOnlyList<string> Validate(string yaml) =>
        ConfigSchemaComposer.Validate(WorkerConfig.FromDocument(JsonDocumentReader.Parse(yaml, "t.yml"), "t.yml", _ => null), Registry.Value);

    [Fact]
    public void A_valid_config_has_no_problems_even_when_other_folders_are_broken()
    {
        var problems = Validate("""
            engine: echo
            engines:
              echo: {greeting: hi, repeat: 2}
              native: {anything: goes}
            worker: {workerPoolId: proj/type, workerGroup: us-east-1, workerId: w-1, capacity: 4}
            plugins:
              yaml-old:
              strict: {level: 3}
            rootUrl: http://127.0.0.1:1234
            """);
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_violation_is_listed_at_once_with_its_json_path()
    {
        var problems = Validate("""
            engine: echo
            engines:
              echo: {greeting: "", repeat: 0, colour: red}
            worker: {workerPoolId: "no slash", capacity: 0, workerGroup: "bad group!"}
            plugins:
              strict: {level: "high"}
            rootUrl: ftp://example
            unknownKey: 1
            """);
        Assert.Contains("$.engines.echo.greeting: \"\" is shorter than 1 characters", problems);
        Assert.Contains("$.engines.echo.repeat: 0 is less than the minimum 1", problems);
        Assert.Contains("$.engines.echo.colour: the property 'colour' is not allowed here", problems);
        Assert.Contains(problems, p => p.StartsWith("$.worker.workerPoolId: \"no slash\" does not match the pattern", StringComparison.Ordinal));
        Assert.Contains("$.worker.capacity: 0 is less than the minimum 1", problems);
        Assert.Contains(problems, p => p.StartsWith("$.worker.workerGroup: \"bad group!\" does not match", StringComparison.Ordinal));
        Assert.Contains("$.plugins.strict.level: expected an integer, found \"high\"", problems);
        Assert.Contains(problems, p => p.StartsWith("$.rootUrl: \"ftp://example\" does not match", StringComparison.Ordinal));
        Assert.Contains("$.unknownKey: the property 'unknownKey' is not allowed here", problems);
        Assert.Equal(9, problems.Count);
    }

    [Fact]
    public void Missing_required_keys_are_named()
    {
        var problems = Validate("plugins: {}\n");
        Assert.Contains("$.engine: the required property 'engine' is missing", problems);
        Assert.Contains("$.worker: the required property 'worker' is missing", problems);
    }

    [Fact]
    public void An_unusable_enabled_component_is_a_problem_but_an_unused_one_is_not()
    {
        var problems = Validate("""
            engine: throwingctor
            worker: {workerPoolId: proj/type}
            plugins: {twin: {}, yaml-new: {}, nosuch: {}}
            """);
        Assert.Contains(problems, p => p.StartsWith("$.engine: the engine 'throwingctor' cannot be used", StringComparison.Ordinal) && p.Contains("/etc/throwing.lic", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("$.plugins.twin: the plugin 'twin' cannot be used", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("$.plugins.nosuch: there is no plugin named 'nosuch'; available plugins: strict, yaml-new, yaml-old", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void The_published_schema_without_a_config_covers_every_loaded_component()
    {
        var schema = ConfigSchemaComposer.Compose(Registry.Value);
        var forms = (JArray)schema["properties"]!["engine"]!["anyOf"]!;
        Assert.Equal(["echo", "lifecycle", "other"], forms[0]["enum"]!.Values<string>().Order(StringComparer.Ordinal));
        Assert.Equal(["echo", "lifecycle", "other"], forms[1]["items"]!["enum"]!.Values<string>().Order(StringComparer.Ordinal));
        var plugins = (JObject)schema["properties"]!["plugins"]!["properties"]!;
        Assert.Equal(["strict", "yaml-new", "yaml-old"], plugins.Properties().Select(p => p.Name).Order());
        Assert.NotNull(schema["properties"]!["engines"]!["properties"]!["echo"]!["properties"]!["greeting"]);
    }

    [Fact]
    public void Several_engines_are_enabled_by_a_list_and_each_gets_its_config_validated()
    {
        var problems = Validate("""
            engine: [echo, other]
            engines:
              echo: {greeting: hi}
              other: {size: big}
            worker: {workerPoolId: proj/type}
            """);
        Assert.Equal(["$.engines.other.size: expected an integer, found \"big\""], problems);
        Assert.Empty(Validate("engine: [echo, other]\nengines: {other: {size: 2}}\nworker: {workerPoolId: proj/type}\n"));
    }

    [Fact]
    public void Unknown_engines_engines_listed_twice_and_an_empty_list_are_named_by_their_place()
    {
        var problems = Validate("""
            engine: [echo, nosuch, echo]
            worker: {workerPoolId: proj/type}
            """);
        Assert.Equal(2, problems.Count);
        Assert.StartsWith("$.engine[1]: there is no engine named 'nosuch'", problems[0], StringComparison.Ordinal);
        Assert.Equal("$.engine[2]: the engine 'echo' is listed more than once; list each engine once", problems[1]);

        Assert.Equal(
            ["$.engine: the list of engines is empty; name at least one engine, e.g. engine: native"],
            Validate("engine: []\nworker: {workerPoolId: proj/type}\n"));
    }

    [Theory]
    [InlineData("engine: native", new[] { "native" }, "$.engine")]
    [InlineData("engine: [native, docker]", new[] { "native", "docker" }, "$.engine[1]")]
    [InlineData("engines: {}", new string[0], "$.engine")]
    public void The_config_names_its_engines_in_order(string yaml, string[] engines, string secondPath)
    {
        var config = WorkerConfig.FromDocument(JsonDocumentReader.Parse(yaml, "t.yml"), "t.yml", _ => null);
        Assert.Equal(engines, config.Engines);
        Assert.Equal(secondPath, config.EnginePath(1));
    }

    public sealed class OtherEngineProvider : TcWorker.Engines.IEngineProvider
    {
        public string Name => "other";

        public JObject ConfigSchema => JObject.Parse("""{"type": "object", "additionalProperties": false, "properties": {"size": {"type": "integer"}}}""");

        public TcWorker.Engines.IEngine Create(TcWorker.Engines.EngineOptions options) => throw new NotSupportedException();
    }

    public sealed class StrictPluginProvider : TcWorker.Plugins.IPluginProvider
    {
        public string Name => "strict";

        public JObject ConfigSchema => JObject.Parse("""{"type": "object", "additionalProperties": false, "properties": {"level": {"type": "integer"}}}""");

        public TcWorker.Plugins.IPlugin Create(TcWorker.Plugins.PluginOptions options) => throw new NotSupportedException();
    }
}
