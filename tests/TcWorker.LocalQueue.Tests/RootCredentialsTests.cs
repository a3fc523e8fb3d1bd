namespace TcWorker.LocalQueue.Tests;

/// <summary>Changes the process environment: runs alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AmbientEnvironmentCollection
{
    public const string Name = "changes the process environment";
}

/// <summary>The root client signs every temporary credential the queue issues.</summary>
[Collection(AmbientEnvironmentCollection.Name)]
public sealed class RootCredentialsTests
{
    [Fact]
    public async Task The_root_is_never_the_ambient_taskcluster_credentials()
    {
        // A developer's shell often holds a real deployment's credentials.
        const string AmbientId = "static/real-deployment-worker";
        const string AmbientToken = "real-deployment-token-0123456789abcdefghijk";
        var saved = (Environment.GetEnvironmentVariable("TASKCLUSTER_CLIENT_ID"), Environment.GetEnvironmentVariable("TASKCLUSTER_ACCESS_TOKEN"));
        Environment.SetEnvironmentVariable("TASKCLUSTER_CLIENT_ID", AmbientId);
        Environment.SetEnvironmentVariable("TASKCLUSTER_ACCESS_TOKEN", AmbientToken);
        try
        {
            await using var first = await LocalQueueServer.StartAsync();
            await using var second = await LocalQueueServer.StartAsync();

            Assert.Equal("static/local-queue/root", first.RootCredentials.ClientId);
            Assert.NotEqual(AmbientToken, first.RootCredentials.AccessToken);
            Assert.NotEqual(first.RootCredentials.AccessToken, second.RootCredentials.AccessToken);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TASKCLUSTER_CLIENT_ID", saved.Item1);
            Environment.SetEnvironmentVariable("TASKCLUSTER_ACCESS_TOKEN", saved.Item2);
        }
    }
}
