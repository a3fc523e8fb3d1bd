using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Runtime.Tests.Configuration;

public sealed class WorkerConfigTests
{
    private static WorkerConfig Parse(string yaml, Dictionary<string, string>? env = null) =>
        WorkerConfig.FromDocument(JsonDocumentReader.Parse(yaml, "test.yml"), "test.yml", name => env?.GetValueOrDefault(name));

    [Fact]
    public void Yaml_scalars_get_json_types_and_quoted_ones_stay_strings()
    {
        var doc = JsonDocumentReader.Parse("""
            int: 12
            negative: -3
            float: 1.5
            yes: true
            no: false
            nothing: null
            tilde: ~
            quoted: "12"
            single: 'true'
            word: hello
            version: 1.2.3
            block: |
              two
              lines
            """, "t");
        Assert.Equal(JTokenType.Integer, doc["int"]!.Type);
        Assert.Equal(-3, (long)doc["negative"]!);
        Assert.Equal(JTokenType.Float, doc["float"]!.Type);
        Assert.True((bool)doc["yes"]!);
        Assert.False((bool)doc["no"]!);
        Assert.Equal(JTokenType.Null, doc["nothing"]!.Type);
        Assert.Equal(JTokenType.Null, doc["tilde"]!.Type);
        Assert.Equal("12", (string)doc["quoted"]!);
        Assert.Equal("true", (string)doc["single"]!);
        Assert.Equal("hello", (string)doc["word"]!);
        Assert.Equal("1.2.3", (string)doc["version"]!);
        Assert.Equal("two\nlines", (string)doc["block"]!);
    }

    [Fact]
    public void Json_is_read_too()
    {
        var doc = JsonDocumentReader.Parse("""{"engine": "native", "worker": {"capacity": 2}}""", "t");
        Assert.Equal(2, (int)doc["worker"]!["capacity"]!);
    }

    [Fact]
    public void A_yaml_flow_mapping_is_still_yaml()
    {
        var doc = JsonDocumentReader.Parse("{engine: native, worker: {capacity: 2, workerType: 'a b'}}", "t");
        Assert.Equal("native", (string)doc["engine"]!);
        Assert.Equal(2, (int)doc["worker"]!["capacity"]!);
        Assert.Equal("a b", (string)doc["worker"]!["workerType"]!);
    }

    [Fact]
    public void Json_gives_the_values_yaml_gives_it()
    {
        const string text = """
            {"when": "2026-12-08T00:00:00Z", "n": 12, "x": 1.5, "big": 1e3, "t": true, "none": null, "s": "1", "list": [1, "a"], "nested": {"k": "v"}}
            """;
        var json = JsonDocumentReader.Parse(text, "t");
        // A YAML document marker first: the same text, read by the YAML parser.
        var yaml = JsonDocumentReader.Parse("---\n" + text, "t");
        Assert.True(JToken.DeepEquals(yaml, json), $"{json} against {yaml}");
        Assert.Equal(JTokenType.String, json["when"]!.Type);
        Assert.Equal(JTokenType.Integer, json["n"]!.Type);
        Assert.Equal(JTokenType.Float, json["big"]!.Type);
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", "line 2, column 1: Duplicate key")]
    [InlineData("a: [1, 2\nb: 3\n", "not valid YAML or JSON")]
    [InlineData("a: \"open\nb: 3\n", "line ")]
    [InlineData("---\na: 1\n---\nb: 2\n", "more than one YAML document")]
    [InlineData("{\"a\": 1,\n \"a\": 2}", "line 2, column 5: Property with the name 'a' already exists in the current JSON object")]
    [InlineData("{\"a\": 1}\n{\"b\": 2}", "line 2, column 1: Additional text encountered after finished reading JSON content")]
    [InlineData("{\"a\": [1, 2}", "line 1, column ")]
    [InlineData("{\"a\": \"open}", "line 1, column ")]
    public void Syntax_errors_name_the_file_and_line(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => JsonDocumentReader.Parse(yaml, "worker.yml"));
        Assert.Contains("worker.yml", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Path '", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Taskcluster_environment_variables_are_defaults_and_the_file_wins()
    {
        var env = new Dictionary<string, string>
        {
            ["TASKCLUSTER_ROOT_URL"] = "https://tc.example.com/",
            ["TASKCLUSTER_CLIENT_ID"] = "env-client",
            ["TASKCLUSTER_ACCESS_TOKEN"] = "env-token",
            ["TASKCLUSTER_CERTIFICATE"] = "{\"version\":1}",
        };
        var config = Parse("""
            engine: native
            worker: {workerPoolId: proj/type}
            credentials:
              clientId: file-client
            """, env);
        Assert.Equal("https://tc.example.com", (string)config.Document["rootUrl"]!);
        Assert.Equal("file-client", (string)config.Document["credentials"]!["clientId"]!);
        Assert.Equal("env-token", (string)config.Document["credentials"]!["accessToken"]!);
        Assert.Equal("{\"version\":1}", (string)config.Document["credentials"]!["certificate"]!);
    }

    [Fact]
    public void Worker_identity_and_plugin_defaults_are_filled_in()
    {
        var config = Parse("""
            engine: native
            worker: {workerPoolId: proj/type}
            engines:
              native:
            plugins:
              env:
              success: {}
            """);
        Assert.Equal("default", (string)config.Document["worker"]!["workerGroup"]!);
        Assert.Matches(RuntimeConfigSchema.IdentifierPattern, (string)config.Document["worker"]!["workerId"]!);
        Assert.Equal(1, (int)config.Document["worker"]!["capacity"]!);
        Assert.Equal(["env", "success"], config.Plugins);
        Assert.Empty(config.PluginConfig("env"));
        Assert.Equal(JTokenType.Object, config.Document["engines"]!["native"]!.Type);
    }

    [Fact]
    public void A_missing_file_and_a_non_object_are_clear_errors()
    {
        var missing = Assert.Throws<ConfigException>(() => WorkerConfig.Load("/nonexistent/worker.yml"));
        Assert.Contains("/nonexistent/worker.yml has a problem", missing.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        var list = Assert.Throws<ConfigException>(() => Parse("- a\n- b\n"));
        Assert.Contains("expected an object", list.Message, StringComparison.Ordinal);
    }
}
