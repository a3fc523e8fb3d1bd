using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Runtime.Tests.Schemas;

/// <summary>Containers, nested ownership, and definitions with their references, through composition.</summary>
public sealed class SchemaComposerTests
{
    private static readonly SchemaPart Runtime = new("the runtime", Schema("""
        {"properties": {"features": {"type": "object", "description": "the runtime's", "properties": {}, "additionalProperties": false}}}
        """));

    private static JObject Schema(string json) => JObject.Parse(json);

    private static List<string> Violations(JObject schema, string document) =>
        SchemaValidator.Create(schema).Validate(JObject.Parse(document)).Select(v => v.ToString()).ToList();

    [Fact]
    public void Parts_add_keys_into_a_container_each_owning_its_own()
    {
        var composed = SchemaComposer.Compose("payload",
        [
            Runtime,
            new SchemaPart("plugin 'proxy'", Schema("""{"properties": {"features": {"type": "object", "properties": {"taskclusterProxy": {"type": "boolean"}}}}}""")),
            new SchemaPart("plugin 'cot'", Schema("""{"properties": {"features": {"properties": {"chainOfTrust": {"type": "boolean"}}, "required": ["chainOfTrust"]}, "env": {"type": "object"}}}""")),
        ]);

        var features = (JObject)composed.Schema["properties"]!["features"]!;
        Assert.Equal(["taskclusterProxy", "chainOfTrust"], ((JObject)features["properties"]!).Properties().Select(p => p.Name));
        Assert.False(features["additionalProperties"]!.Value<bool>());
        Assert.Equal(["chainOfTrust"], features["required"]!.Values<string>());
        Assert.Equal("the runtime's", features.Value<string>("description"));

        Assert.Empty(Violations(composed.Schema, """{"features": {"taskclusterProxy": true, "chainOfTrust": false}}"""));
        Assert.Equal(
            ["$.features.chainOfTrust: the required property 'chainOfTrust' is missing", "$.features.interactive: the property 'interactive' is not allowed here"],
            Violations(composed.Schema, """{"features": {"taskclusterProxy": true, "interactive": true}}"""));

        var payload = JObject.Parse("""{"features": {"taskclusterProxy": true, "chainOfTrust": true}, "env": {"A": "1"}}""");
        Assert.Equal("""{"features":{"taskclusterProxy":true}}""", composed.Parts[1].Filter(payload).ToString(Formatting.None));
        Assert.Equal("""{"features":{"chainOfTrust":true},"env":{"A":"1"}}""", composed.Parts[2].Filter(payload).ToString(Formatting.None));
        Assert.Equal("{}", composed.Parts[1].Filter(JObject.Parse("""{"features": {"chainOfTrust": true}}""")).ToString(Formatting.None));
    }

    [Fact]
    public void A_key_of_one_owner_is_filtered_whole_even_when_it_declares_properties()
    {
        var composed = SchemaComposer.Compose("payload",
        [
            new SchemaPart("plugin 'env'", Schema("""{"properties": {"env": {"type": "object", "properties": {"A": {"type": "string"}}}}}""")),
        ]);
        var payload = JObject.Parse("""{"env": {"A": "1", "B": "2"}}""");
        Assert.Equal("""{"env":{"A":"1","B":"2"}}""", composed.Parts[0].Filter(payload).ToString(Formatting.None));
    }

    [Fact]
    public void Additional_properties_false_is_kept_when_any_declarer_says_so()
    {
        var composed = SchemaComposer.ComposeObject("payload",
        [
            new SchemaPart("plugin 'a'", Schema("""{"properties": {"onExitStatus": {"type": "object", "properties": {"retry": {"type": "array"}}}}}""")),
            new SchemaPart("plugin 'b'", Schema("""{"properties": {"onExitStatus": {"type": "object", "properties": {"purgeCaches": {"type": "array"}}, "additionalProperties": false}}}""")),
        ]);
        Assert.Equal(["$.onExitStatus.other: the property 'other' is not allowed here"], Violations(composed, """{"onExitStatus": {"retry": [], "purgeCaches": [], "other": 1}}"""));
    }

    [Fact]
    public void A_leaf_claimed_twice_inside_a_container_is_a_conflict_naming_the_dotted_path_and_both_owners()
    {
        var e = Assert.Throws<SchemaConflictException>(() => SchemaComposer.Compose("payload",
        [
            Runtime,
            new SchemaPart("plugin 'a'", Schema("""{"properties": {"features": {"properties": {"proxy": {"type": "object", "properties": {"deep": {"type": "string"}}}}}}}""")),
            new SchemaPart("plugin 'b'", Schema("""{"properties": {"features": {"properties": {"proxy": {"type": "object", "properties": {"deep": {"type": "integer"}}}}}}}""")),
            new SchemaPart("plugin 'c'", Schema("""{"properties": {"features": {"type": "object"}}}""")),
        ]));
        Assert.Equal(
            ["the key 'features' is claimed by both the runtime and plugin 'c'"],
            e.Conflicts);

        var nested = Assert.Throws<SchemaConflictException>(() => SchemaComposer.Compose("payload",
        [
            Runtime,
            new SchemaPart("plugin 'a'", Schema("""{"properties": {"features": {"properties": {"proxy": {"type": "object", "properties": {"deep": {"type": "string"}}}}}}}""")),
            new SchemaPart("plugin 'b'", Schema("""{"properties": {"features": {"properties": {"proxy": {"type": "object", "properties": {"deep": {"type": "integer"}}}}}}}""")),
        ]));
        Assert.Equal(["the key 'features.proxy.deep' is claimed by both plugin 'a' and plugin 'b'"], nested.Conflicts);
    }

    [Fact]
    public void Two_parts_with_the_same_definition_name_keep_their_own_definitions()
    {
        var composed = SchemaComposer.Compose("payload",
        [
            new SchemaPart("plugin 'a'", Schema("""
                {"properties": {"mounts": {"type": "array", "items": {"$ref": "#/definitions/entry"}}},
                 "definitions": {"entry": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}, "next": {"$ref": "#/definitions/entry"}}}}}
                """)),
            new SchemaPart("plugin 'b'", Schema("""
                {"properties": {"limits": {"$ref": "#/$defs/entry/properties/size"}, "other": {"$ref": "#/$defs/entry"}},
                 "$defs": {"entry": {"type": "object", "properties": {"size": {"type": "integer", "minimum": 1}}}}}
                """)),
        ]);

        Assert.Equal(["plugin-a.entry", "plugin-b.entry"], ((JObject)composed.Schema["definitions"]!).Properties().Select(p => p.Name));
        Assert.Equal("#/definitions/plugin-a.entry", composed.Schema.SelectToken("properties.mounts.items.$ref")!.Value<string>());
        Assert.Equal("#/definitions/plugin-b.entry/properties/size", composed.Schema.SelectToken("properties.limits.$ref")!.Value<string>());
        Assert.Equal(
            ["$.limits: 0 is less than the minimum 1", "$.mounts[0].next.path: expected a string, found 3"],
            Violations(composed.Schema, """{"mounts": [{"path": "/a", "next": {"path": 3}}], "limits": 0, "other": {"size": 2}}"""));

        // Each part's own schema carries its own definitions, so its keys validate on their own.
        var partB = composed.Parts[1].Schema;
        Assert.Equal(["plugin-b.entry"], ((JObject)partB["definitions"]!).Properties().Select(p => p.Name));
        Assert.Null(partB["$defs"]);
        Assert.Equal(["$.other.size: expected an integer, found \"x\""], Violations(partB, """{"other": {"size": "x"}}"""));
        Assert.Empty(Violations(composed.Parts[0].Schema, """{"mounts": [{"path": "/a"}]}"""));
    }

    [Theory]
    [InlineData("https://example.com/schema.json#/definitions/x", "the $ref 'https://example.com/schema.json#/definitions/x' cannot be kept")]
    [InlineData("#/properties/other", "the $ref '#/properties/other' cannot be kept")]
    [InlineData("#", "the $ref '#' cannot be kept")]
    [InlineData("#/definitions/missing", "the $ref '#/definitions/missing' names no definition of the component")]
    public void A_reference_the_composer_cannot_keep_is_an_error_naming_the_component_and_the_reference(string reference, string expected)
    {
        var e = Assert.Throws<SchemaCompositionException>(() => SchemaComposer.Compose("payload",
        [
            new SchemaPart("plugin 'ok'", Schema("""{"properties": {"a": {"type": "string"}}}""")),
            new SchemaPart("plugin 'bad'", Schema("{\"properties\": {\"b\": {\"$ref\": \"" + reference + "\"}}, \"definitions\": {\"here\": {\"type\": \"string\"}}}")),
        ]));
        var problem = Assert.Single(e.Problems);
        Assert.StartsWith("plugin 'bad': " + expected, problem, StringComparison.Ordinal);
        Assert.IsNotType<SchemaConflictException>(e);
    }

    [Fact]
    public void A_part_composed_again_with_different_definitions_of_the_same_name_gets_names_of_its_own()
    {
        var definitions = new SchemaDefinitions();
        var first = SchemaComposer.Compose(null, [new SchemaPart("plugin 'files'", Schema("""{"properties": {"files": {"$ref": "#/definitions/f"}}, "definitions": {"f": {"type": "array"}}}"""))], definitions);
        var same = SchemaComposer.Compose(null, [new SchemaPart("plugin 'files'", Schema("""{"properties": {"files": {"$ref": "#/definitions/f"}}, "definitions": {"f": {"type": "array"}}}"""))], definitions);
        var other = SchemaComposer.Compose(null, [new SchemaPart("plugin 'files'", Schema("""{"properties": {"files": {"$ref": "#/definitions/f"}}, "definitions": {"f": {"type": "object"}}}"""))], definitions);
        Assert.Equal(["plugin-files.f"], first.Parts[0].DefinitionNames);
        Assert.Equal(["plugin-files.f"], same.Parts[0].DefinitionNames);
        Assert.Equal(["plugin-files@2.f"], other.Parts[0].DefinitionNames);
        Assert.Equal("#/definitions/plugin-files@2.f", other.Schema.SelectToken("properties.files.$ref")!.Value<string>());
    }
}
