using Newtonsoft.Json.Linq;

namespace TcWorker.Engines.Docker.Tests;

[Collection(DockerCollection.Name)]
public sealed class DockerEngineConformanceTests(DockerDaemon daemon) : EngineConformanceTests
{
    protected override string? SkipReason => daemon.SkipReason;

    protected override IEngineProvider CreateProvider() => new DockerEngineProvider();

    protected override JObject EngineConfig => DockerTests.Config();

    protected override JObject LogPayload(string text) => Shell($"echo \"{text[..5]}\"\"{text[5..]}\"");

    protected override JObject FailingLogPayload(string text) => Shell($"echo \"{text[..5]}\"\"{text[5..]}\"; exit 1");

    protected override JObject SilentPayload() => Shell("true");

    protected override string SleepStartedText => "kit-sleeping-2";

    protected override JObject SleepPayload() => Shell("echo kit-sleeping-$((1+1)); exec sleep 600");

    // sh is the container's pid 1: with a trap it gets docker stop's SIGTERM, takes a second, and prints its last words.
    protected override JObject? StopOnTerminationPayload(string text) =>
        Shell($"trap 'sleep 1; echo \"{text[..5]}\"\"{text[5..]}\"; exit 0' TERM; echo kit-sleeping-$((1+1)); sleep 600 & wait");

    protected override JObject? PrintEnvironmentVariablePayload(string name) => Shell($"echo \"${name}\"");

    protected override ArtifactsCase? Artifacts => new(
        Shell("mkdir -p /out/nested && printf 'kit text' > /out/a.txt && echo b > /out/nested/b.txt && ln -s /etc/passwd /leak"),
        "/out/a.txt", "kit text", "/out", ["a.txt", "nested/b.txt"])
    {
        EscapingSymlinkPath = "/leak",
        WriteThenSleepPayload = Shell("mkdir -p /out && printf 'kit text' > /out/a.txt && echo kit-sleeping-$((1+1)); exec sleep 600"),
    };

    protected override VolumesCase? Volumes => new("/cache", Shell("echo kept > /cache/kept.txt"), Shell("test \"$(cat /cache/kept.txt)\" = kept"))
    {
        CheckBuiltPayload = Shell(string.Join(" && ", [
            "cd /cache",
            $"[ \"$(cat {BuiltVolumeLayout.ToolPath})\" = kit-built-tool ]",
            $"[ \"$(stat -c %a {BuiltVolumeLayout.ToolPath})\" = 755 ]",
            $"[ \"$(readlink {BuiltVolumeLayout.SymbolicLinkPath})\" = {BuiltVolumeLayout.SymbolicLinkTarget} ]",
            $"[ {BuiltVolumeLayout.HardLinkPath} -ef {BuiltVolumeLayout.DataPath} ]",
            $"[ \"$(cat {BuiltVolumeLayout.HardLinkPath})\" = kit-built-data ]",
            $"[ \"$(stat -c %Y {BuiltVolumeLayout.DataPath})\" = {BuiltVolumeLayout.LastWriteTimeSeconds} ]",
            $"[ \"$(stat -c %Y {BuiltVolumeLayout.FolderPath})\" = {BuiltVolumeLayout.LastWriteTimeSeconds} ]",
        ])),
    };

    // The proxy's listener opens in the container's network namespace just after the container starts: a
    // connection refused before that is tried again, any other answer (a 404 too) ends the ping.
    protected override JObject? PingProxyUrlPayload(string variableName) => Shell(
        $"for i in $(seq 100); do out=$(wget -q -O - \"${{{variableName}}}v1/ping\" 2>&1); rc=$?; " +
        "case \"$out\" in *refused*) sleep 0.05; continue;; esac; echo \"$out\"; exit $rc; done; exit 1");

    protected override ShellsCase? Shells => new(SleepPayload(), ["sh", "-c", "echo shell-$((5*5))"], "shell-25\n");

    private static JObject Shell(string script) => DockerTests.Shell(script);
}
