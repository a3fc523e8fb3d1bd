using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Api;

namespace TcWorker.LocalQueue.Tests;

/// <summary>Every route this queue serves exists in the official API reference with the same method, path and scope expression.</summary>
public sealed class ScopeReferenceTests
{
    [SkippableTheory]
    [InlineData("queue")]
    [InlineData("object")]
    public async Task Routes_match_the_official_reference(string service)
    {
        var reference = (JObject)await TestFiles.ApiJsonAsync($"generated/references.json.split/references/{service}/v1/api.json");
        var entries = reference["entries"]!.ToDictionary(e => (string)e["name"]!);
        var routes = service == "queue"
            ? new TaskApi(null!).Routes().Concat(new ClaimApi(null!).Routes()).Concat(new ArtifactApi(null!).Routes())
            : new ObjectApi(null!).Routes();
        foreach (var route in routes)
        {
            Assert.True(entries.TryGetValue(route.Name, out var entry), $"{route.Name} is not in the {service} reference");
            Assert.Equal(((string)entry!["method"]!).ToUpperInvariant(), route.Method);
            var official = entry["scopes"];
            var ours = route.Scopes?.ToJson();
            Assert.True(JToken.DeepEquals(Normalize(official), Normalize(ours)), $"{route.Name}: ours {ours}, official {official}");
        }
    }

    /// <summary>The references wrap some single scopes in AllOf: compare the meaning, not the wrapping.</summary>
    private static JToken? Normalize(JToken? expression) =>
        expression is JObject { Count: 1 } o && o["AllOf"] is JArray { Count: 1 } only && only[0].Type == JTokenType.String ? only[0] : expression is { Type: JTokenType.Null } ? null : expression;
}
