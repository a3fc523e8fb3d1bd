using Newtonsoft.Json.Linq;

namespace TcWorker.Testing;

/// <summary>
/// What the artifact cases of <see cref="EngineConformanceTests"/> need: a payload that succeeds and
/// leaves a text file and a folder of nested files in the result set.
/// </summary>
/// <param name="Payload">Writes <paramref name="FileText"/> to <paramref name="FilePath"/> and the files of <paramref name="FolderFiles"/> under <paramref name="FolderPath"/>.</param>
/// <param name="FilePath">The text file's path, as given to <c>IResultSet.OpenFileAsync</c>.</param>
/// <param name="FileText">The text file's exact content.</param>
/// <param name="FolderPath">The folder's path, as given to <c>IResultSet.EnumerateFolderAsync</c>.</param>
/// <param name="FolderFiles">Every file under the folder, relative to it, with '/' separators (nested ones included).</param>
public sealed record ArtifactsCase(JObject Payload, string FilePath, string FileText, string FolderPath, IReadOnlyList<string> FolderFiles)
{
    /// <summary>
    /// A path in the result set that is a symbolic link pointing outside the sandbox (for example to
    /// <c>/etc/passwd</c>), created by <see cref="Payload"/>; <see langword="null"/> when the engine cannot create one.
    /// It must not be under <see cref="FolderPath"/>.
    /// </summary>
    public string? EscapingSymlinkPath { get; init; }

    /// <summary>
    /// Writes <see cref="FileText"/> to <see cref="FilePath"/>, then logs the kit's <c>SleepStartedText</c> (when the
    /// subclass sets it) and runs until killed; required when the engine also declares <c>EngineFeatures.Kill</c>, for
    /// the case that reads a killed sandbox's artifacts.
    /// </summary>
    public JObject? WriteThenSleepPayload { get; init; }
}

/// <summary>What the volume cases of <see cref="EngineConformanceTests"/> need.</summary>
/// <param name="MountPoint">Where the volume is attached.</param>
/// <param name="WritePayload">Writes something into the volume at <paramref name="MountPoint"/>; fails when the volume is read-only.</param>
/// <param name="CheckPayload">Succeeds when what <paramref name="WritePayload"/> writes is in the volume, fails otherwise.</param>
public sealed record VolumesCase(string MountPoint, JObject WritePayload, JObject CheckPayload)
{
    /// <summary>The options passed to <c>IEngine.CreateVolumeAsync</c>; an empty object by default.</summary>
    public JObject VolumeOptions { get; init; } = [];
}

/// <summary>What the shell case of <see cref="EngineConformanceTests"/> needs.</summary>
/// <param name="Payload">Keeps the sandbox running long enough to open a shell (the kill case ends it).</param>
/// <param name="Command">A command that writes <paramref name="Stdout"/> to its standard output and exits with 0.</param>
/// <param name="Stdout">The command's exact standard output.</param>
public sealed record ShellsCase(JObject Payload, IReadOnlyList<string> Command, string Stdout);

/// <summary>What the display case of <see cref="EngineConformanceTests"/> needs.</summary>
/// <param name="Payload">Keeps the sandbox running, with its displays up, until killed or aborted.</param>
/// <param name="DisplayNames">The names <c>ISandbox.ListDisplaysAsync</c> must list, in any order.</param>
public sealed record DisplaysCase(JObject Payload, IReadOnlyList<string> DisplayNames)
{
    /// <summary>A name that is not a display of the sandbox; opening it must be a <c>ResourceNotFoundException</c>.</summary>
    public string InvalidDisplayName { get; init; } = "no-such-display";
}
