namespace TcWorker.Runtime.Tests.Tasks.Fakes;

/// <summary>A fresh folder under the system's temporary folder, deleted on dispose.</summary>
public sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tcworker-test-").FullName;

    /// <summary>A new unique file path inside the folder.</summary>
    public string NewFile(string extension = ".log") => System.IO.Path.Combine(Path, $"{Guid.NewGuid():N}{extension}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a component left behind; the system cleans its temporary folder.
        }
    }
}
