using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>Artifact names meant to escape: dot segments, encoded slashes, NUL, and 10,000 characters.</summary>
public sealed class HostileArtifactNameTests
{
    [Fact]
    public async Task Dot_segments_and_encoded_slashes_are_names_like_any_other_and_reach_nothing_else()
    {
        await using var deployment = await Deployment.StartAsync();
        string[] names = ["public/../../../claim-work/x", "..", "public/%2F..%2F..%2Fescaped.txt", "public/a/./b/../c.txt"];
        var artifacts = new JArray(names.Select((n, i) => new JObject { ["type"] = "file", ["path"] = $"f{i}.txt", ["name"] = n }));
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", string.Join("; ", names.Select((_, i) => $"echo content-{i} > f{i}.txt"))) },
            ["artifacts"] = artifacts,
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        Assert.Equal("completed", (await deployment.StatusAsync(taskId)).Runs[0].State);
        var listed = (await deployment.Queue.ListArtifactsAsync(taskId, 0)).Artifacts.Select(a => a.Name).ToList();
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Contains(names[i], listed);
            var (status, body, _) = await ArtifactTests.FetchAsync(deployment, taskId, names[i]);
            Assert.Equal((HttpStatusCode.OK, $"content-{i}\n"), (status, body));
        }

        // Nothing landed outside the queue's data folder.
        Assert.Empty(Directory.EnumerateFileSystemEntries(deployment.Folder, "escaped.txt", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Names_with_nul_or_10000_characters_are_malformed_payloads_naming_the_field()
    {
        await using var deployment = await Deployment.StartAsync();
        var nul = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "echo x > a.txt") },
            ["artifacts"] = new JArray(new JObject { ["type"] = "file", ["path"] = "a.txt", ["name"] = "public/a\u0000b.txt" }),
        });
        var longName = "public/" + new string('n', 10_000);
        var tooLong = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "echo x > a.txt") },
            ["artifacts"] = new JArray(
                new JObject { ["type"] = "file", ["path"] = "a.txt", ["name"] = longName },
                new JObject { ["type"] = "file", ["path"] = "a.txt", ["name"] = "public/short.txt" }),
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(deployment.Config(tasks: 2), lifetime);

        var nulRun = (await deployment.StatusAsync(nul)).Runs[0];
        Assert.Equal(("exception", "malformed-payload"), (nulRun.State, nulRun.ReasonResolved));
        Assert.Contains("$.artifacts[0].name", (await ArtifactTests.FetchAsync(deployment, nul, "public/logs/live_backing.log")).Body, StringComparison.Ordinal);

        var longRun = (await deployment.StatusAsync(tooLong)).Runs[0];
        var log = (await ArtifactTests.FetchAsync(deployment, tooLong, "public/logs/live_backing.log")).Body;
        Assert.True((longRun.State, longRun.ReasonResolved) == ("exception", "malformed-payload"), $"{longRun.State}/{longRun.ReasonResolved}\n{log}");
        Assert.Contains("$.artifacts[0].name: \"public/nnnnnnnn", log, StringComparison.Ordinal);
        Assert.Contains("(10007 characters)", log, StringComparison.Ordinal);
        Assert.DoesNotContain("$.artifacts[1]", log, StringComparison.Ordinal);
    }
}
