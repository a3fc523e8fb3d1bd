using TcWorker.Engines;
using TcWorker.Errors;

namespace TcWorker.Sdk.Tests;

/// <summary>
/// Reads a task directory laid out with files, links inside and links leading out. Each case runs both ways
/// <see cref="ConfinedDirectory"/> can read: through directory handles (Linux) and by path (elsewhere, checked here on Linux).
/// </summary>
public sealed class ConfinedDirectoryTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("tcw-confined-").FullName;

    public ConfinedDirectoryTests()
    {
        // temp/outside.txt, and the task directory temp/task with out/ inside it.
        File.WriteAllText(Path.Combine(temp, "outside.txt"), "secret");
        var output = Directory.CreateDirectory(Path.Combine(temp, "task", "out")).FullName;
        File.WriteAllText(Path.Combine(output, "a.txt"), "inside");
        Directory.CreateDirectory(Path.Combine(output, "sub"));
        File.WriteAllText(Path.Combine(output, "sub", "b.txt"), "nested");
        File.CreateSymbolicLink(Path.Combine(output, "link-in"), "sub/b.txt");
        File.CreateSymbolicLink(Path.Combine(output, "link-out"), "../../outside.txt");
        File.CreateSymbolicLink(Path.Combine(output, "absolute-out"), Path.Combine(temp, "outside.txt"));
        Directory.CreateSymbolicLink(Path.Combine(output, "folder-link"), "sub");
    }

    public static TheoryData<bool> Ways => OperatingSystem.IsLinux() ? new() { true, false } : new() { false };

    private string TaskDirectory => Path.Combine(temp, "task");

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task Files_inside_open_through_relative_absolute_and_linked_paths(bool byHandle)
    {
        var files = new ConfinedDirectory(TaskDirectory, null, byHandle);

        Assert.Equal("inside", await ReadAsync(await files.OpenFileAsync("out/a.txt")));
        Assert.Equal("inside", await ReadAsync(await files.OpenFileAsync(Path.Combine(TaskDirectory, "out", "a.txt"))));
        Assert.Equal("nested", await ReadAsync(await files.OpenFileAsync("out/link-in")));
        Assert.Equal("nested", await ReadAsync(await files.OpenFileAsync("out/folder-link/b.txt")));
        Assert.Equal("inside", await ReadAsync(await files.OpenFileAsync("out/sub/../a.txt")));
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task Paths_leading_out_are_refused_however_they_leave(bool byHandle)
    {
        var files = new ConfinedDirectory(TaskDirectory, null, byHandle);

        foreach (var path in new[] { "../outside.txt", "out/../../outside.txt", "out/link-out", "out/absolute-out", Path.Combine(temp, "outside.txt") })
        {
            var error = await Record.ExceptionAsync(() => files.OpenFileAsync(path));
            Assert.True(error is PathEscapesSandboxException, $"'{path}' gave {error?.GetType().Name ?? "a stream"}, not PathEscapesSandboxException.");
        }
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task Missing_files_folders_and_bad_paths_are_told_apart(bool byHandle)
    {
        var files = new ConfinedDirectory(TaskDirectory, null, byHandle);

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => files.OpenFileAsync("out/missing.txt"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => files.OpenFileAsync("out/sub"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => ListAsync(files, "out/missing"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => ListAsync(files, "out/a.txt"));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => files.OpenFileAsync(string.Empty));
        await Assert.ThrowsAsync<MalformedPayloadException>(() => files.OpenFileAsync("out/a\0.txt"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => new ConfinedDirectory(Path.Combine(temp, "gone"), null, byHandle).OpenFileAsync("a.txt"));
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task A_listing_holds_the_files_inside_flags_links_leading_out_and_does_not_follow_linked_folders(bool byHandle)
    {
        var files = new ConfinedDirectory(TaskDirectory, null, byHandle);

        var listed = await ListAsync(files, "out");

        Assert.Equal(["a.txt", "absolute-out", "link-in", "link-out", "sub/b.txt"], listed.Keys.Order(StringComparer.Ordinal));
        Assert.True(listed["link-out"].EscapesSandbox);
        Assert.True(listed["absolute-out"].EscapesSandbox);
        await Assert.ThrowsAsync<PathEscapesSandboxException>(() => listed["link-out"].OpenAsync());
        Assert.False(listed["link-in"].EscapesSandbox);
        Assert.Equal(6, listed["link-in"].Length);
        Assert.Equal("nested", await ReadAsync(await listed["link-in"].OpenAsync()));
        Assert.Equal("inside", await ReadAsync(await listed["a.txt"].OpenAsync()));
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task A_root_the_task_replaced_by_a_link_out_of_its_boundary_is_refused(bool byHandle)
    {
        // The task turned its output folder into a link to a folder outside the task directory.
        var output = Path.Combine(TaskDirectory, "out");
        Directory.Move(output, output + ".old");
        Directory.CreateSymbolicLink(output, temp);

        var files = new ConfinedDirectory(output, TaskDirectory, byHandle);

        await Assert.ThrowsAsync<PathEscapesSandboxException>(() => files.OpenFileAsync("outside.txt"));
        await Assert.ThrowsAsync<PathEscapesSandboxException>(() => ListAsync(files, "."));
        Assert.Equal("secret", await ReadAsync(await new ConfinedDirectory(output, null, byHandle).OpenFileAsync("outside.txt")));
    }

    [SkippableFact]
    public async Task A_listed_file_swapped_for_a_link_out_before_it_is_opened_is_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Only the handle-based way (Linux) withstands a swap.");
        var files = new ConfinedDirectory(TaskDirectory);
        var listed = await ListAsync(files, "out");

        var file = Path.Combine(TaskDirectory, "out", "a.txt");
        File.Move(file, file + ".old");
        File.CreateSymbolicLink(file, Path.Combine(temp, "outside.txt"));

        await Assert.ThrowsAsync<PathEscapesSandboxException>(() => listed["a.txt"].OpenAsync());
    }

    [Fact]
    public void An_empty_root_or_boundary_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => new ConfinedDirectory(string.Empty));
        Assert.Throws<ArgumentNullException>(() => new ConfinedDirectory(null!));
        Assert.Throws<ArgumentException>(() => new ConfinedDirectory(TaskDirectory, string.Empty));
    }

    public void Dispose() => Directory.Delete(temp, recursive: true);

    private static async Task<Dictionary<string, SandboxFile>> ListAsync(ConfinedDirectory files, string path)
    {
        var listed = new Dictionary<string, SandboxFile>();
        await foreach (var file in files.EnumerateFolderAsync(path))
        {
            listed.Add(file.RelativePath, file);
        }

        return listed;
    }

    private static async Task<string> ReadAsync(Stream stream)
    {
        await using (stream)
        {
            return await new StreamReader(stream).ReadToEndAsync();
        }
    }
}
