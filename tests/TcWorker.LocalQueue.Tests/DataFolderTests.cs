using System.Runtime.Versioning;
using System.Text;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>
/// The data folder holds the root access token and the key that signs blob URLs: only the user the
/// queue runs as may read it, whatever the umask, and an older, looser folder is tightened at start.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DataFolderTests
{
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode LooseFolder = OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode LooseFile = OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public async Task A_new_data_folder_its_database_and_its_blobs_are_private_to_the_owner()
    {
        await using var h = await QueueHarness.StartAsync();
        await UploadBlobAsync(h);

        AssertPrivate(h.Server.DataFolder);
    }

    [Fact]
    public async Task An_existing_data_folder_readable_by_others_is_made_private_at_start()
    {
        await using var h = await QueueHarness.StartAsync();
        await UploadBlobAsync(h);
        await h.Server.DisposeAsync();
        var data = h.Server.DataFolder;
        foreach (var folder in Directory.EnumerateDirectories(data, "*", SearchOption.AllDirectories).Prepend(data))
        {
            File.SetUnixFileMode(folder, LooseFolder);
        }

        foreach (var file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, LooseFile);
        }

        await h.RestartAsync();

        AssertPrivate(data);
    }

    private static async Task UploadBlobAsync(QueueHarness h)
    {
        var taskId = await h.CreateAsync();
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        var uploader = new ArtifactUploader(h.Client(claim.Credentials).Queue);
        await uploader.UploadS3Async(taskId, 0, "private/secret.txt", "text/plain", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(Encoding.UTF8.GetBytes("secret"))));
    }

    private static void AssertPrivate(string data)
    {
        Assert.Equal(OwnerFolder, File.GetUnixFileMode(data));
        Assert.Equal(OwnerFolder, File.GetUnixFileMode(Path.Combine(data, "artifacts")));
        var files = Directory.GetFiles(data, "*", SearchOption.AllDirectories);
        foreach (var name in new[] { "queue.db", "queue.db-wal", "queue.db-shm" })
        {
            Assert.Contains(Path.Combine(data, name), files);
        }

        Assert.Contains(files, f => Path.GetDirectoryName(f) == Path.Combine(data, "artifacts"));
        Assert.All(files, f => Assert.True(File.GetUnixFileMode(f) == OwnerFile, $"{f} has mode {File.GetUnixFileMode(f)}"));
    }
}
