using Newtonsoft.Json.Linq;
using TcWorker.Testing;

namespace TcWorker.Engines.Native.Tests;

public sealed class NativeEngineConformanceTests : EngineConformanceTests
{
    protected override string? SkipReason => OperatingSystem.IsLinux() ? null : "The native engine tests run on Linux.";

    protected override IEngineProvider CreateProvider() => new NativeEngineProvider();

    protected override JObject EngineConfig => new() { ["killGracePeriodSeconds"] = 0.5 };

    // The engine logs each command line: the marker is printed from two halves so only its output holds it whole.
    protected override JObject LogPayload(string text) => Shell($"echo \"{text[..5]}\"\"{text[5..]}\"");

    protected override JObject FailingLogPayload(string text) => Shell($"echo \"{text[..5]}\"\"{text[5..]}\"; exit 1");

    protected override JObject SilentPayload() => Shell("true");

    protected override string SleepStartedText => "kit-sleeping-2";

    protected override JObject SleepPayload() => Shell("echo kit-sleeping-$((1+1)); exec sleep 600");

    protected override JObject? PrintEnvironmentVariablePayload(string name) => Shell($"echo \"${name}\"");

    protected override ArtifactsCase? Artifacts => new(
        Shell("mkdir -p out/nested && printf 'kit text' > out/a.txt && echo b > out/nested/b.txt && ln -s /etc/passwd leak"),
        "out/a.txt", "kit text", "out", ["a.txt", "nested/b.txt"])
    {
        EscapingSymlinkPath = "leak",
        WriteThenSleepPayload = Shell("mkdir -p out && printf 'kit text' > out/a.txt && echo kit-sleeping-$((1+1)); exec sleep 600"),
    };

    protected override ShellsCase? Shells => new(SleepPayload(), ["sh", "-c", "echo shell-$((5*5))"], "shell-25\n");

    protected override JObject? PingProxyUrlPayload(string variableName) => Shell($"curl -fsS \"${{{variableName}}}v1/ping\"");

    // The trap is set before the sleep text is printed, and takes a second before it prints the text (from two
    // halves, see LogPayload): a kill that did not wait would cut it short.
    protected override JObject? StopOnTerminationPayload(string text) =>
        Shell($"trap 'sleep 1; echo \"{text[..5]}\"\"{text[5..]}\"; exit 0' TERM; echo kit-sleeping-$((1+1)); sleep 600 & wait");

    // Without createUser the task runs as the worker's user: a read-only mount is a copy it may write, which never reaches the volume.
    protected override VolumesCase? Volumes => new("cache", Shell("echo written > cache/marker"), Shell("grep -q written cache/marker"))
    {
        ReadOnlyWritesFail = false,
        CheckBuiltPayload = Shell(CheckBuiltScript("cache")),
    };

    /// <summary>A script that fails unless the volume at <paramref name="mount"/> holds <see cref="BuiltVolumeLayout"/> exactly.</summary>
    internal static string CheckBuiltScript(string mount) => string.Join(" && ", [
        $"cd {mount}",
        $"[ \"$(cat {BuiltVolumeLayout.ToolPath})\" = kit-built-tool ]",
        $"[ \"$(stat -c %a {BuiltVolumeLayout.ToolPath})\" = 755 ]",
        $"[ \"$(readlink {BuiltVolumeLayout.SymbolicLinkPath})\" = {BuiltVolumeLayout.SymbolicLinkTarget} ]",
        $"[ {BuiltVolumeLayout.HardLinkPath} -ef {BuiltVolumeLayout.DataPath} ]",
        $"[ \"$(cat {BuiltVolumeLayout.HardLinkPath})\" = kit-built-data ]",
        $"[ \"$(stat -c %Y {BuiltVolumeLayout.DataPath})\" = {BuiltVolumeLayout.LastWriteTimeSeconds} ]",
        $"[ \"$(stat -c %Y {BuiltVolumeLayout.FolderPath})\" = {BuiltVolumeLayout.LastWriteTimeSeconds} ]",
    ]);

    private static JObject Shell(string script) => NativeEngineTests.Shell(script);
}
