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
/// <param name="WritePayload">Writes something into the volume at <paramref name="MountPoint"/>; fails when the volume is read-only (see <see cref="ReadOnlyWritesFail"/>).</param>
/// <param name="CheckPayload">Succeeds when what <paramref name="WritePayload"/> writes is in the volume, fails otherwise.</param>
public sealed record VolumesCase(string MountPoint, JObject WritePayload, JObject CheckPayload)
{
    /// <summary>The options passed to <c>IEngine.CreateVolumeAsync</c> and <c>CreateVolumeBuilderAsync</c>; an empty object by default.</summary>
    public JObject VolumeOptions { get; init; } = [];

    /// <summary>
    /// Whether <see cref="WritePayload"/> fails on a read-only mount; <see langword="true"/> by default. Set it to
    /// <see langword="false"/> for an engine that cannot refuse the write but keeps it from the volume (one that gives
    /// the task a throwaway copy, as the native engine does when the task runs as the worker's own user). Either way
    /// the kit checks that nothing written to a read-only mount reaches the volume.
    /// </summary>
    public bool ReadOnlyWritesFail { get; init; } = true;

    /// <summary>
    /// Succeeds when the volume at <see cref="MountPoint"/> holds exactly what <see cref="BuiltVolumeLayout"/> describes
    /// (the kit writes it with <c>IEngine.CreateVolumeBuilderAsync</c>), and fails on an empty volume; required when the
    /// engine declares <c>EngineFeatures.Volumes</c>. Check what the engine can keep: content, the file mode, the
    /// symbolic link's target, that the hard link is the same file, modification times. The kit runs it on a writable
    /// and on a read-only mount, and once on an empty volume, where it must fail.
    /// </summary>
    public JObject? CheckBuiltPayload { get; init; }
}

/// <summary>
/// What <see cref="EngineConformanceTests"/> writes into a volume with an <c>IVolumeBuilder</c>, for
/// <see cref="VolumesCase.CheckBuiltPayload"/> to check. Paths are relative to the volume's mount point.
/// </summary>
public static class BuiltVolumeLayout
{
    /// <summary>A file with mode <see cref="ToolMode"/> and content <see cref="ToolText"/>.</summary>
    public const string ToolPath = "bin/tool";

    /// <summary>The content of <see cref="ToolPath"/>.</summary>
    public const string ToolText = "kit-built-tool\n";

    /// <summary>The mode of <see cref="ToolPath"/>: 0755 (rwxr-xr-x).</summary>
    public const UnixFileMode ToolMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>A folder, written with modification time <see cref="LastWriteTime"/> before the file inside it.</summary>
    public const string FolderPath = "data";

    /// <summary>A file in <see cref="FolderPath"/>, mode 0644, content <see cref="DataText"/>, modification time <see cref="LastWriteTime"/>.</summary>
    public const string DataPath = "data/data.txt";

    /// <summary>The content of <see cref="DataPath"/>.</summary>
    public const string DataText = "kit-built-data\n";

    /// <summary>A symbolic link whose target is <see cref="SymbolicLinkTarget"/>.</summary>
    public const string SymbolicLinkPath = "link";

    /// <summary>The target of <see cref="SymbolicLinkPath"/>, as stored: <see cref="DataPath"/>.</summary>
    public const string SymbolicLinkTarget = DataPath;

    /// <summary>A hard link to <see cref="DataPath"/>: the same file, not a copy.</summary>
    public const string HardLinkPath = "hard.txt";

    /// <summary>The seconds since 1970-01-01T00:00:00Z of <see cref="LastWriteTime"/>, as <c>stat -c %Y</c> prints them.</summary>
    public const long LastWriteTimeSeconds = 981173106;

    /// <summary>The modification time of <see cref="FolderPath"/> and <see cref="DataPath"/>: 2001-02-03T04:05:06Z.</summary>
    public static DateTimeOffset LastWriteTime { get; } = DateTimeOffset.FromUnixTimeSeconds(LastWriteTimeSeconds);
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
