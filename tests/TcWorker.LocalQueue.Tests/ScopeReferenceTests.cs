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

    /// <summary>
    /// The index's reference is not split out of generated/references.json: it is read from the
    /// bundle. listNamespacesPost and listTasksPost are deprecated and unpublished (noPublish in
    /// services/index/src/api.js), with the scopes of their GET forms: they are compared with those.
    /// </summary>
    [SkippableFact]
    public async Task Index_routes_match_the_official_reference()
    {
        var reference = (JObject)await TestFiles.BundleEntryAsync("references/index/v1/api.json");
        var entries = reference["entries"]!.ToDictionary(e => (string)e["name"]!);
        var routes = new IndexApi(null!).Routes().ToList();
        Assert.Contains(routes, r => r.Name == "findTask");
        foreach (var route in routes)
        {
            var published = route.Name.EndsWith("Post", StringComparison.Ordinal) ? route.Name[..^"Post".Length] : route.Name;
            Assert.True(entries.TryGetValue(published, out var entry), $"{route.Name} is not in the index reference");
            Assert.Equal(published == route.Name ? ((string)entry!["method"]!).ToUpperInvariant() : "POST", route.Method);
            Assert.Equal(RoutePattern((string)entry!["route"]!), RoutePattern(route.Pattern));
            Assert.True(JToken.DeepEquals(Normalize(entry["scopes"]), Normalize(route.Scopes?.ToJson())), $"{route.Name}: ours {route.Scopes?.ToJson()}, official {entry["scopes"]}");
        }
    }

    /// <summary>purge-cache's reference is read from the bundle, like the index's.</summary>
    [SkippableFact]
    public async Task Purge_cache_routes_match_the_official_reference()
    {
        var reference = (JObject)await TestFiles.BundleEntryAsync("references/purge-cache/v1/api.json");
        var entries = reference["entries"]!.ToDictionary(e => (string)e["name"]!);
        var routes = new PurgeCacheApi().Routes().ToList();
        Assert.Equal(3 + MonitoringRoutes.Create().Count(), routes.Count);
        foreach (var route in routes)
        {
            Assert.True(entries.TryGetValue(route.Name, out var entry), $"{route.Name} is not in the purge-cache reference");
            Assert.Equal(((string)entry!["method"]!).ToUpperInvariant(), route.Method);
            Assert.Equal(RoutePattern((string)entry["route"]!), RoutePattern(route.Pattern));
            Assert.True(JToken.DeepEquals(Normalize(entry["scopes"]), Normalize(route.Scopes?.ToJson())), $"{route.Name}: ours {route.Scopes?.ToJson()}, official {entry["scopes"]}");
        }
    }

    /// <summary>A route with its parameter names and markers dropped: <c>task/&lt;indexPath&gt;</c> and <c>/task/&lt;*x&gt;</c> are both <c>task/&lt;&gt;</c>.</summary>
    private static string RoutePattern(string route) => System.Text.RegularExpressions.Regex.Replace(route.Trim('/'), "<[^>]*>", "<>");

    /// <summary>The references wrap some single scopes in AllOf: compare the meaning, not the wrapping.</summary>
    private static JToken? Normalize(JToken? expression) =>
        expression is JObject { Count: 1 } o && o["AllOf"] is JArray { Count: 1 } only && only[0].Type == JTokenType.String ? only[0] : expression is { Type: JTokenType.Null } ? null : expression;
}
