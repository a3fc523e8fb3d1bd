using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Tests.Schemas;

public sealed class SchemaTests
{
    private static JObject Schema(string json) => JObject.Parse(json);

    [Fact]
    public void Two_plugins_claiming_the_same_payload_key_is_a_conflict_naming_both()
    {
        var e = Assert.Throws<SchemaConflictException>(() => SchemaComposer.ComposeObject("payload",
        [
            new SchemaPart("engine 'native'", Schema("""{"properties": {"command": {"type": "array"}, "env": {}}}""")),
            new SchemaPart("plugin 'env'", Schema("""{"properties": {"env": {"type": "object"}}}""")),
            new SchemaPart("plugin 'other-env'", Schema("""{"properties": {"env": {"type": "object"}, "x": {}}}""")),
        ]));
        Assert.Equal(
            ["the key 'env' is claimed by both engine 'native' and plugin 'env'", "the key 'env' is claimed by both engine 'native' and plugin 'other-env'"],
            e.Conflicts);
    }

    [Fact]
    public void Composition_merges_properties_and_required_and_allows_nothing_else()
    {
        var composed = SchemaComposer.ComposeObject("payload",
        [
            new SchemaPart("engine", Schema("""{"properties": {"command": {"type": "array"}}, "required": ["command"]}""")),
            new SchemaPart("plugin", Schema("""{"properties": {"maxRunTime": {"type": "integer"}}, "required": ["maxRunTime"]}""")),
        ]);
        var validator = SchemaValidator.Create(composed);
        Assert.Empty(validator.Validate(JObject.Parse("""{"command": [], "maxRunTime": 5}""")));
        var violations = validator.Validate(JObject.Parse("""{"mounts": []}""")).Select(v => v.ToString()).ToList();
        Assert.Contains("$.command: the required property 'command' is missing", violations);
        Assert.Contains("$.maxRunTime: the required property 'maxRunTime' is missing", violations);
        Assert.Contains("$.mounts: the property 'mounts' is not allowed here", violations);
    }

    [Fact]
    public void Filter_keeps_only_the_keys_a_part_owns()
    {
        var payload = JObject.Parse("""{"command": [["true"]], "env": {"A": "1"}, "maxRunTime": 3}""");
        var filtered = SchemaComposer.Filter(payload, Schema("""{"properties": {"env": {}, "absent": {}}}"""));
        Assert.Equal("""{"env":{"A":"1"}}""", filtered.ToString(Newtonsoft.Json.Formatting.None));
    }

    [Theory]
    [InlineData("""{"type": "string", "enum": ["a", "b"]}""", "\"c\"", "$: \"c\" is not one of \"a\", \"b\"")]
    [InlineData("""{"type": "integer"}""", "\"5\"", "$: expected an integer, found \"5\"")]
    [InlineData("""{"type": "array", "items": {"type": "array", "items": {"type": "string"}}}""", "[[\"ls\", 5]]", "$[0][1]: expected a string, found 5")]
    [InlineData("""{"type": "array", "minItems": 2}""", "[1]", "$: the array has 1 items, fewer than the minimum 2")]
    [InlineData("""{"type": "integer", "maximum": 10}""", "11", "$: 11 is more than the maximum 10")]
    [InlineData("""{"type": "object", "properties": {"env": {"type": "object", "additionalProperties": {"type": "string"}}}}""", """{"env": {"A": 1}}""", "$.env.A: expected a string, found 1")]
    public void Violations_name_the_path_the_rule_and_the_value(string schema, string document, string expected)
    {
        var violations = SchemaValidator.Create(Schema(schema)).Validate(JToken.Parse(document));
        Assert.Equal(expected, Assert.Single(violations).ToString());
    }

    [Fact]
    public void An_invalid_schema_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => SchemaValidator.Create(Schema("""{"$ref": "#/definitions/missing"}""")));
    }
}
