using System.Text;
using Newtonsoft.Json.Linq;
using static TcWorker.Taskcluster.Tests.Support.Canned;

namespace TcWorker.Taskcluster.Tests;

/// <summary>A claimWork response is read one claim at a time: one hostile task definition spoils only its own claim.</summary>
public sealed class ClaimWorkReaderTests
{
    private static readonly TaskclusterCredentials Credentials = ClaimCredentials();

    private static JObject Claim(string taskId, JToken task) => new()
    {
        ["status"] = new JObject(Status()) { ["taskId"] = taskId }, ["runId"] = 0, ["workerGroup"] = "wg", ["workerId"] = "wid",
        ["takenUntil"] = Iso(Now.AddMinutes(20)), ["task"] = task, ["credentials"] = CredentialsJson(Credentials),
    };

    private static ClaimWorkResponse Read(string json) => ClaimWorkReader.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_definition_nested_10000_levels_deep_spoils_only_its_own_claim()
    {
        var text = new JObject { ["tasks"] = new JArray(Claim("good1", TaskDefinition()), Claim("deep", "DEEP"), Claim("good2", TaskDefinition())) }
            .ToString(Newtonsoft.Json.Formatting.None)
            .Replace("\"DEEP\"", "{\"payload\":" + new string('[', 10_000) + new string(']', 10_000) + "}", StringComparison.Ordinal);

        var claims = Read(text).Tasks;

        Assert.Equal(["good1", "deep", "good2"], claims.Select(c => c.Status.TaskId));
        Assert.Null(claims[0].TaskDefinitionError);
        Assert.True(JToken.DeepEquals(TaskDefinition(), claims[0].Task));
        Assert.Null(claims[2].TaskDefinitionError);
        Assert.Contains("nests 10001 levels deep", claims[1].TaskDefinitionError, StringComparison.Ordinal);
        Assert.Empty(claims[1].Task);
        Assert.Equal(Credentials.AccessToken, claims[1].Credentials.AccessToken);
        Assert.Equal(Now.AddMinutes(20), claims[1].TakenUntil);
    }

    [Fact]
    public void A_definition_over_10_MB_spoils_only_its_own_claim()
    {
        var huge = new JObject(TaskDefinition()) { ["filler"] = new string('x', ClaimWorkReader.MaxTaskBytes) };
        var claims = Read(new JObject { ["tasks"] = new JArray(Claim("huge", huge), Claim("good", TaskDefinition())) }.ToString()).Tasks;

        Assert.Contains("bytes long; the worker accepts at most 10485760", claims[0].TaskDefinitionError, StringComparison.Ordinal);
        Assert.Empty(claims[0].Task);
        Assert.Null(claims[1].TaskDefinitionError);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_read_and_a_definition_that_is_no_object_is_refused()
    {
        var nested = new JObject(TaskDefinition()) { ["payload"] = JToken.Parse(new string('[', 63) + new string(']', 63)) };
        var claims = Read(new JObject { ["tasks"] = new JArray(Claim("nested", nested), Claim("array", new JArray(1))) }.ToString()).Tasks;

        Assert.Null(claims[0].TaskDefinitionError);
        Assert.True(JToken.DeepEquals(nested, claims[0].Task));
        Assert.Contains("not a JSON object", claims[1].TaskDefinitionError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_that_is_not_a_claim_list_still_fails_as_a_whole()
    {
        Assert.ThrowsAny<Exception>(() => Read("""{"tasks": 3}"""));
        Assert.ThrowsAny<Exception>(() => Read("""{"tasks": [{"status": """));
        Assert.Empty(Read("""{"tasks": []}""").Tasks);
    }

    [Theory]
    [InlineData("wg", "wid", 1)]
    [InlineData("group-with_\u00e9\"quote\\", "id\n\t\u0001<&>'", 32)]
    public void A_claimWork_request_is_written_as_the_serializer_writes_it(string workerGroup, string workerId, int tasks)
    {
        var request = new ClaimWorkRequest { WorkerGroup = workerGroup, WorkerId = workerId, Tasks = tasks };

        Assert.Equal(Newtonsoft.Json.JsonConvert.SerializeObject(request, TaskclusterJson.Settings), TaskclusterJson.ClaimWorkBody(request));
        Assert.Equal(Encoding.UTF8.GetBytes(TaskclusterJson.ClaimWorkBody(request)), TaskclusterJson.SerializeToUtf8(request));
    }
}
