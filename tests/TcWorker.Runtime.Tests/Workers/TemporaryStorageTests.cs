using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Runtime.Workers;

namespace TcWorker.Runtime.Tests.Workers;

public sealed class TemporaryStorageTests : IDisposable
{
    private readonly TemporaryFolder temporary = new();

    public void Dispose() => temporary.Dispose();

    private string Parent => temporary.Path;

    [Fact]
    public void Opening_creates_the_folder_and_hands_out_unique_paths_inside_it()
    {
        using var storage = TemporaryStorage.Open(Path.Combine(Parent, "new", "tmp"));

        var file = storage.NewFilePath("task-log");
        var folder = storage.CreateFolder("../escape");
        Assert.StartsWith("___escape-", Path.GetFileName(folder), StringComparison.Ordinal);

        Assert.True(Directory.Exists(storage.Root));
        Assert.Equal(storage.Root, Path.GetDirectoryName(file));
        Assert.StartsWith("task-log-", Path.GetFileName(file), StringComparison.Ordinal);
        Assert.False(File.Exists(file));
        Assert.NotEqual(file, storage.NewFilePath("task-log"));
        Assert.Equal(storage.Root, Path.GetDirectoryName(folder));
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void Reopening_after_a_crash_removes_what_the_last_worker_left_behind()
    {
        var root = Path.Combine(Parent, "tmp");
        using (var first = TemporaryStorage.Open(root))
        {
            File.WriteAllText(first.NewFilePath("log"), "old");
            File.WriteAllText(Path.Combine(first.CreateFolder("task"), "file"), "old");

            // A crashed worker releases its lock without emptying the folder.
            typeof(TemporaryStorage).GetField("marker", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                .GetValue(first).As<FileStream>().Dispose();
            Assert.Equal(3, Directory.EnumerateFileSystemEntries(root).Count());

            using var second = TemporaryStorage.Open(root);
            Assert.Equal([TemporaryStorage.MarkerFileName], Directory.EnumerateFileSystemEntries(second.Root).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void Two_workers_cannot_share_one_folder_and_disposing_empties_it()
    {
        var root = Path.Combine(Parent, "shared");
        using (var first = TemporaryStorage.Open(root))
        {
            first.CreateFolder("task");
            var e = Assert.Throws<IOException>(() => TemporaryStorage.Open(root));
            Assert.Contains($"'{root}' is in use by another worker", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal([TemporaryStorage.MarkerFileName], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Task_users_may_pass_through_the_folder_but_not_list_it_and_what_the_worker_makes_is_its_own(bool existing)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var root = Path.Combine(Parent, "modes");
        var marker = Path.Combine(root, TemporaryStorage.MarkerFileName);
        if (existing)
        {
            // A folder from before, as loose as the common umask 022 made it.
            Directory.CreateDirectory(root);
            File.SetUnixFileMode(root, Owner | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.WriteAllText(marker, "old");
            File.SetUnixFileMode(marker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        using var storage = TemporaryStorage.Open(root);

        Assert.Equal(Owner | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(root));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(marker));
        Assert.Equal(Owner, File.GetUnixFileMode(storage.CreateFolder("task")));
    }

    [Fact]
    public void A_folder_with_foreign_files_is_refused_and_left_alone()
    {
        var root = Path.Combine(Parent, "home");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "precious.txt"), "keep me");

        var e = Assert.Throws<InvalidOperationException>(() => TemporaryStorage.Open(root));
        Assert.Contains($"'{root}' is not empty and was not created by tc-worker", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "precious.txt")));
    }
}

internal static class ObjectExtensions
{
    public static T As<T>(this object? value) => (T)value!;
}
