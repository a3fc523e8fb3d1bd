using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Tests.Worker;

public sealed class ClaimRecordTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-claims-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static RecordedClaim Claim(string taskId, int runId, string token = "token-0") =>
        new(taskId, runId, DateTimeOffset.Parse("2030-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture), new TaskclusterCredentials("task-client/" + taskId, token));

    [Fact]
    public void Open_claims_are_kept_in_a_600_file_rewritten_on_reclaim_and_deleted_when_none_is_left()
    {
        var record = new ClaimRecord(folder);
        record.Set(Claim("A", 0));
        record.Set(Claim("B", 2));
        record.Set(Claim("A", 0, "token-after-reclaim"));

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record.FilePath));
        }

        var read = ClaimRecord.Read(folder, out var problem);
        Assert.Null(problem);
        Assert.Equal([("A", 0, "token-after-reclaim"), ("B", 2, "token-0")], read.Select(c => (c.TaskId, c.RunId, c.Credentials.AccessToken)).Order());
        Assert.Equal(Claim("A", 0).TakenUntil, read[0].TakenUntil);

        record.Remove("A", 0);
        Assert.Equal(["B"], ClaimRecord.Read(folder, out _).Select(c => c.TaskId));
        record.Remove("B", 2);
        Assert.False(File.Exists(record.FilePath));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public async Task A_claim_is_in_the_file_when_Set_returns_and_its_flush_ends_cleanly_also_when_the_claims_are_gone()
    {
        // The first flush is held back until the claim is gone again (a task that ended before its flush ran).
        var release = new TaskCompletionSource();
        var held = 0;
        var record = new ClaimRecord(folder, flush => Interlocked.Increment(ref held) == 1 ? release.Task.ContinueWith(_ => flush(), TaskScheduler.Default).Unwrap() : Task.Run(flush));
        var flushed = record.Set(Claim("A", 0));

        // In the file before its flush ran: a crash of the process from here on hands it back.
        Assert.Equal(["A"], ClaimRecord.Read(folder, out _).Select(c => c.TaskId));
        record.Remove("A", 0);
        Assert.False(File.Exists(record.FilePath));
        release.SetResult();
        await flushed.WaitAsync(TimeSpan.FromSeconds(10));

        // Many claims at once (a claimWork of 16): each flush covers what was written before it; none is lost.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => record.Set(Claim("T" + i, 0, "token-" + i)))).WaitAsync(TimeSpan.FromSeconds(10));
        var read = ClaimRecord.Read(folder, out var problem);
        Assert.Null(problem);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => ("T" + i, "token-" + i)).Order(), read.Select(c => (c.TaskId, c.Credentials.AccessToken)).Order());
    }

    [Fact]
    public void Opening_the_temporary_folder_after_a_crash_keeps_the_record_and_removes_the_rest()
    {
        var root = Path.Combine(folder, "tmp");
        using (var first = TemporaryStorage.Open(root))
        {
            new ClaimRecord(root).Set(Claim("A", 0));
            File.WriteAllText(first.NewFilePath("task-log"), "log");
            Directory.CreateDirectory(first.NewFilePath("tcw-native"));
        }

        // The worker crashed: its folder still holds everything, the record among it.
        new ClaimRecord(root).Set(Claim("A", 1));
        File.WriteAllText(Path.Combine(root, "task-log-0123"), "log");
        using var second = TemporaryStorage.Open(root);
        Assert.Equal(1, second.RemovedAtOpen);
        Assert.Equal(["A"], ClaimRecord.Read(root, out _).Select(c => c.TaskId));
    }

    [Fact]
    public async Task A_record_cut_short_by_a_crash_is_reported_and_forgotten_without_stopping_the_start()
    {
        await File.WriteAllTextAsync(Path.Combine(folder, ClaimRecord.FileName), "{\"claims\":[{\"taskId\":\"A\",\"runId\":0,\"takenUntil\":\"2030-01-02T03:");
        await File.WriteAllTextAsync(Path.Combine(folder, ClaimRecord.FileName + ".new"), "{\"cla");
        var logger = new ListLogger();

        // Nothing would answer at this address: an unreadable record makes no call.
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = "http://127.0.0.1:9" });
        var resolved = await LeftoverClaims.ResolveAsync(folder, client.Queue, TimeProvider.System, logger);

        Assert.Equal(0, resolved);
        Assert.Contains("cannot be read", Assert.Single(logger.Messages(1031)), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public async Task Expired_recorded_claims_are_not_sent_and_the_record_is_forgotten()
    {
        var record = new ClaimRecord(folder);
        await record.Set(Claim("A", 0) with { TakenUntil = DateTimeOffset.UtcNow.AddMinutes(-1) });
        var logger = new ListLogger();
        using var client = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = "http://127.0.0.1:9" });

        Assert.Equal(0, await LeftoverClaims.ResolveAsync(folder, client.Queue, TimeProvider.System, logger));
        Assert.Contains("left 1 open claim(s); 0 resolved as exception/worker-shutdown so the queue reruns them now, 1 already resolved or expired", Assert.Single(logger.Messages(1029)), StringComparison.Ordinal);
        Assert.False(File.Exists(record.FilePath));
    }
}
