using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Tasks;
using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tests.Tasks;

public sealed class TaskContextTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("queue:get-artifact:private/build.tar", true)]
    [InlineData("queue:get-artifact:public/x", true)]
    [InlineData("generic-worker:cache:gecko", true)]
    [InlineData("generic-worker:cache:other", false)]
    [InlineData("queue:get-artifact", false)]
    [InlineData("docker-worker:capability:privileged", false)]
    public void HasScopes_matches_exactly_or_by_trailing_star(string required, bool expected)
    {
        var context = Context("queue:get-artifact:*", "generic-worker:cache:gecko", "docker-worker:capability:device:*");

        Assert.Equal(expected, context.HasScopes([required]));
    }

    [Fact]
    public void HasScopes_needs_every_scope_of_one_set()
    {
        var context = Context("a:1", "b:*");

        Assert.True(context.HasScopes(["a:1", "b:2"]));
        Assert.False(context.HasScopes(["a:1", "c:1"]));
        Assert.True(context.HasScopes(["c:1"], ["b:anything"]));
        Assert.True(context.HasScopes(Array.Empty<string>()));
        Assert.False(context.HasScopes());
    }

    [Fact]
    public void A_star_alone_satisfies_everything()
    {
        Assert.True(Context("*").HasScopes(["anything:at:all", "more"]));
    }

    [Fact]
    public void Dates_and_scopes_come_from_the_task_definition_and_credentials_can_be_replaced()
    {
        using var log = new TaskLog(folder.NewFile());
        var claim = new ClaimedTask("t", 2, RunHarness.Task([], "s:1"), new TaskCredentials("c1", "secret1", null, null));
        var context = new TaskContext(claim, "https://root", log, new FakeArtifactPublisher(), CancellationToken.None);

        Assert.Equal(2, context.RunId);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), context.Created);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), context.Expires);
        Assert.Equal(["s:1"], context.Scopes);
        context.ReplaceCredentials(new TaskCredentials("c2", "secret2", null, null));
        Assert.Equal("c2", context.Credentials.ClientId);
        Assert.DoesNotContain("secret2", context.Credentials.ToString(), StringComparison.Ordinal);
    }

    private TaskContext Context(params string[] scopes)
    {
        var log = new TaskLog(folder.NewFile());
        log.Close();
        var claim = new ClaimedTask("t", 0, RunHarness.Task(new JObject(), scopes), new TaskCredentials("c", "s", null, null));
        return new TaskContext(claim, "https://root", log, new FakeArtifactPublisher(), CancellationToken.None);
    }
}
