using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Tests.Schemas;

/// <summary>
/// The schema model built directly from JSON must validate exactly as the schema library's own
/// parser does: same violations, same paths, same words, for valid and invalid documents alike.
/// </summary>
public sealed class SchemaModelBuilderTests
{
    /// <summary>Every keyword the builder handles, nested the way worker and payload schemas nest them.</summary>
    private const string Rich = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "title": "rich", "description": "every keyword",
          "type": "object",
          "additionalProperties": false,
          "required": ["name", "command"],
          "minProperties": 1, "maxProperties": 9,
          "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 8, "pattern": "^[a-z]+$", "default": "abc"},
            "kind": {"enum": ["file", "directory", 3, true, null]},
            "count": {"type": "integer", "minimum": 1, "maximum": 10},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "old": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5, "exclusiveMaximum": true},
            "when": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "maybe": {"type": ["string", "null"]},
            "flag": {"type": "boolean"},
            "command": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}},
            "env": {"type": "object", "additionalProperties": {"type": "string"}},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]},
            "one": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "string", "minLength": 2}]},
            "all": {"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"type": "integer"}}}]},
            "never": {"not": {"type": "string"}},
            "nested": {"type": "object", "properties": {"deep": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}}}
          }
        }
        """;

    public static TheoryData<string> Documents => new()
    {
        """{"name": "abc", "command": [["a"]]}""",
        """{}""",
        """[]""",
        """{"name": "A", "command": []}""",
        """{"name": "toolongname", "command": [["a", "a"]], "extra": 1}""",
        """{"name": 5, "kind": "folder", "count": 0, "ratio": 1, "old": 0, "command": [[1], ["x"], ["y"], ["z"]]}""",
        """{"name": "ab", "command": [["a"]], "count": 11, "ratio": 0.5, "old": 5, "when": "yesterday", "url": "not a uri", "maybe": 3, "flag": "yes"}""",
        """{"name": "ab", "command": [["a"]], "kind": 3, "maybe": null, "when": "2024-01-31T12:00:00Z", "url": "https://example.com/x"}""",
        """{"name": "ab", "command": [["a"]], "env": {"A": "1", "B": 2}, "either": -1, "one": "abc", "all": {"a": "x"}, "never": "s"}""",
        """{"name": "ab", "command": [["a"]], "either": "s", "one": "abcd", "all": {"b": 1}, "never": 1, "nested": {"deep": {"x": "1"}}}""",
        """{"name": "ab", "command": "not a list", "nested": {"deep": {}}, "count": 2.5}""",
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void The_built_model_validates_exactly_as_the_parsed_one(string document) => AssertBuiltAgreesWithParsed(Rich, document);

    private static void AssertBuiltAgreesWithParsed(string schemaJson, string document)
    {
        var schema = JObject.Parse(schemaJson);
        Assert.NotNull(SchemaModelBuilder.TryBuild(schema));
        var doc = JToken.Parse(document);
        var built = SchemaValidator.Create(schema).Validate(doc).Select(v => v.ToString()).ToList();
        var parsed = SchemaValidator.CreateWithParser(schema).Validate(doc).Select(v => v.ToString()).ToList();
        Assert.Equal(parsed, built);
    }

    /// <summary>References into root definitions, as composed payload schemas hold them: chains, recursion, a description beside a reference.</summary>
    private const string WithReferences = """
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["mounts"],
          "properties": {
            "mounts": {"type": "array", "items": {"$ref": "#/definitions/plugin-a.mount"}},
            "name": {"$ref": "#/definitions/plugin-b.name", "description": "the name"},
            "alias": {"$ref": "#/definitions/plugin-b.alias"},
            "either": {"anyOf": [{"$ref": "#/definitions/plugin-b.name"}, {"type": "integer"}]}
          },
          "definitions": {
            "plugin-a.mount": {
              "type": "object", "required": ["path"], "additionalProperties": false,
              "properties": {"path": {"$ref": "#/definitions/plugin-b.name"}, "inner": {"$ref": "#/definitions/plugin-a.mount"}, "mode": {"enum": ["ro", "rw"]}}
            },
            "plugin-b.name": {"type": "string", "minLength": 2, "pattern": "^[a-z/]+$"},
            "plugin-b.alias": {"$ref": "#/definitions/plugin-b.name"}
          }
        }
        """;

    public static TheoryData<string> ReferencingDocuments => new()
    {
        """{"mounts": []}""",
        """{}""",
        """{"mounts": [{"path": "/a", "inner": {"path": "b", "mode": "rx", "inner": {"path": 5}}}], "name": "X", "alias": "", "either": 2.5}""",
        """{"mounts": [{"mode": "ro", "extra": true}], "name": 3, "alias": "ok", "either": "a"}""",
        """{"mounts": {}, "unknown": 1}""",
    };

    [Theory]
    [MemberData(nameof(ReferencingDocuments))]
    public void A_model_with_references_into_definitions_validates_exactly_as_the_parsed_one(string document) =>
        AssertBuiltAgreesWithParsed(WithReferences, document);

    [Fact]
    public void The_worker_config_schema_is_built_without_the_parser_and_agrees_with_it()
    {
        var schema = RuntimeConfigSchema.Create();
        Assert.NotNull(SchemaModelBuilder.TryBuild(schema));
        var config = JObject.Parse("""{"engine": 5, "worker": {"capacity": 0, "workerPoolId": "no slash", "rootUrl": 3, "unknown": true}, "plugins": []}""");
        var built = SchemaValidator.Create(schema).Validate(config).Select(v => v.ToString()).ToList();
        Assert.NotEmpty(built);
        Assert.Equal(SchemaValidator.CreateWithParser(schema).Validate(config).Select(v => v.ToString()), built);
    }

    [Theory]
    [InlineData("""{"$ref": "#/definitions/a", "definitions": {"a": {"type": "string"}}}""")]
    [InlineData("""{"const": 3}""")]
    [InlineData("""{"type": "array", "items": [{"type": "string"}]}""")]
    [InlineData("""{"if": {"type": "string"}, "then": {"minLength": 1}}""")]
    [InlineData("""{"properties": {"a": {"x-custom": 1}}}""")]
    [InlineData("""{"enum": [{"a": 1}]}""")]
    [InlineData("""{"type": "decimal"}""")]
    [InlineData("""{"properties": {"a": {"$ref": "#/definitions/a/properties/b"}}, "definitions": {"a": {"properties": {"b": {}}}}}""")]
    [InlineData("""{"properties": {"a": {"$ref": "#/definitions/a", "type": "string"}}, "definitions": {"a": {"type": "string"}}}""")]
    [InlineData("""{"properties": {"a": {"$ref": "#/definitions/a"}}, "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}}""")]
    [InlineData("""{"properties": {"a": {"properties": {}, "definitions": {"x": {}}}}}""")]
    public void Keywords_it_does_not_know_are_left_to_the_parser(string schema) =>
        Assert.Null(SchemaModelBuilder.TryBuild(JObject.Parse(schema)));

    [Fact]
    public void A_schema_left_to_the_parser_still_validates()
    {
        var validator = SchemaValidator.Create(JObject.Parse("""{"properties": {"a": {"$ref": "#/definitions/s"}}, "definitions": {"s": {"type": "string"}}}"""));
        Assert.Equal(["$.a: expected a string, found 1"], validator.Validate(JObject.Parse("""{"a": 1}""")).Select(v => v.ToString()));
    }
}
