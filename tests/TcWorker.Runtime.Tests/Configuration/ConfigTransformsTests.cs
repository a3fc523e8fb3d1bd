using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Runtime.Tests.Configuration;

public sealed class ConfigTransformsTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["TOKEN"] = "s3cret",
        ["COUNT"] = "4",
        ["RATIO"] = "0.5",
        ["FLAG"] = "true",
        ["ONE"] = "1",
        ["LIST"] = "  a b\tc ",
        ["OBJ"] = """{"k": [1, 2]}""",
        ["BAD_JSON"] = "{nope",
        ["WORD"] = "many",
    };

    private static (JToken Result, IReadOnlyList<string> Problems) Apply(string json) =>
        ConfigTransforms.Apply(JToken.Parse(json), name => Env.GetValueOrDefault(name));

    [Theory]
    [InlineData("""{"$env": "TOKEN"}""", "\"s3cret\"")]
    [InlineData("""{"$env": "TOKEN", "type": "string"}""", "\"s3cret\"")]
    [InlineData("""{"$env": "COUNT", "type": "number"}""", "4")]
    [InlineData("""{"$env": "RATIO", "type": "number"}""", "0.5")]
    [InlineData("""{"$env": "FLAG", "type": "bool"}""", "true")]
    [InlineData("""{"$env": "ONE", "type": "bool"}""", "true")]
    [InlineData("""{"$env": "LIST", "type": "list"}""", """["a","b","c"]""")]
    [InlineData("""{"$env": "OBJ", "type": "json"}""", """{"k":[1,2]}""")]
    public void Env_transform_gives_the_typed_value(string transform, string expected)
    {
        var (result, problems) = Apply("{\"a\": {\"b\": [0, " + transform + "]}}");
        Assert.Empty(problems);
        Assert.True(JToken.DeepEquals(JToken.Parse(expected), result["a"]!["b"]![1]), result.ToString());
    }

    [Fact]
    public void Every_problem_is_listed_with_its_path()
    {
        var (_, problems) = Apply("""
            {
              "credentials": {"accessToken": {"$env": "MISSING"}},
              "worker": {"capacity": {"$env": "WORD", "type": "number"}},
              "x": [{"$env": "BAD_JSON", "type": "json"}],
              "y": {"$env": "TOKEN", "type": "yaml"},
              "z": {"$env": "TOKEN", "default": "q"}
            }
            """);
        Assert.Equal(5, problems.Count);
        Assert.Contains("$.credentials.accessToken: the environment variable MISSING is not set", problems);
        Assert.Contains("$.worker.capacity: the environment variable WORD is not a valid number", problems);
        Assert.Contains(problems, p => p.StartsWith("$.x[0]: the environment variable BAD_JSON does not hold valid JSON", StringComparison.Ordinal));
        Assert.Contains("$.y: $env type 'yaml' is not one of string, number, bool, json, list", problems);
        Assert.Contains("$.z: the $env transform does not take 'default' (only $env and type)", problems);
    }

    [Fact]
    public void Problems_never_echo_the_value_of_a_variable()
    {
        var (_, problems) = Apply("""{"a": {"$env": "TOKEN", "type": "number"}}""");
        Assert.DoesNotContain(problems, p => p.Contains("s3cret", StringComparison.Ordinal));
    }
}
