using System.Net;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>
/// With <c>createUser</c>, task A runs while task B runs (or has just ended, its artifacts not yet
/// uploaded) and tries to reach B: its files, its environment, its proxy, its artifacts, its
/// processes. Each attempt must fail. Needs root.
/// </summary>
public sealed class ConcurrentTaskIsolationTests() : EngineTestBase(
    () => new NativeEngineProvider(),
    () => HostProcesses.IsRoot ? new JObject { ["createUser"] = true, ["killGracePeriodSeconds"] = 0.5 } : null)
{
    private const string NeedsRoot = "Per-task users need root on Linux (useradd); run the tests as root to cover them.";
    private readonly string secret = "b-secret-" + Guid.NewGuid().ToString("N");

    [SkippableFact]
    public async Task A_cannot_read_Bs_files()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync();

        var log = await RunAAsync("""ls "$1"; cat "$1/secret.txt"; cat "$1"/*; echo "done" """, b.Directory);

        Assert.Contains("Permission denied", log, StringComparison.Ordinal);
        Assert.Contains("done", log, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        Assert.DoesNotContain("secret.txt", log.Replace("/secret.txt", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_cannot_read_Bs_files_after_B_opened_its_directory_to_all()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync("""chmod 777 .; echo "$B_SECRET" > open.txt; chmod 666 open.txt; stat -c %a . > mode.txt; """);
        Assert.Equal("777", (await File.ReadAllTextAsync(Path.Combine(b.Directory, "mode.txt"))).Trim());

        var log = await RunAAsync("""ls "$1"; cat "$1/open.txt"; echo intruder > "$1/planted.txt"; chmod 777 "$1/.."; echo "done" """, b.Directory);

        Assert.Contains("Permission denied", log, StringComparison.Ordinal);
        Assert.Contains("done", log, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(b.Directory, "planted.txt")));
    }

    [SkippableFact]
    public async Task A_cannot_read_Bs_environment_through_proc()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync();

        // B's own process by its pid, then every process on the host.
        var log = await RunAAsync("""
            cat "/proc/$1/environ"; echo "direct=$?"
            for p in /proc/[0-9]*; do cat "$p/environ" 2>/dev/null | tr '\0' '\n'; done | grep -c B_SECRET; echo scanned
            """, b.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Contains("Permission denied", log, StringComparison.Ordinal);
        Assert.Contains("direct=1", log, StringComparison.Ordinal);
        Assert.Contains("scanned", log, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_cannot_learn_or_guess_Bs_proxy_url()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync();
        var secretPath = b.ProxyUrl.AbsolutePath.Trim('/');
        using (var http = new HttpClient())
        {
            Assert.Equal("b-proxy", await http.GetStringAsync(b.ProxyUrl));
        }

        // The listener's port is no secret; the path is. A looks where B's URL lives (B's environment, command
        // lines, B's directory) and asks the listener without it.
        var log = await RunAAsync("""
            for p in /proc/[0-9]*; do cat "$p/environ" "$p/cmdline" 2>/dev/null | tr '\0' '\n'; done | grep -o '127.0.0.1:[0-9]*/[A-Za-z0-9_-]*' | sort -u
            grep -r 127.0.0.1 "$2" 2>&1 | head -3
            curl -s -o /dev/null -w 'root=%{http_code}\n' "http://127.0.0.1:$1/"
            curl -s -o /dev/null -w 'guess=%{http_code}\n' "http://127.0.0.1:$1/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"
            """, b.ProxyUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Directory);

        Assert.DoesNotContain(secretPath, log, StringComparison.Ordinal);
        Assert.Contains("root=404", log, StringComparison.Ordinal);
        Assert.Contains("guess=404", log, StringComparison.Ordinal);
        Assert.Contains("Permission denied", log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_cannot_use_Bs_proxy_even_with_its_url_while_B_itself_can()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync();

        // B's own user got through before it wrote proxy.txt.
        Assert.Equal("b-proxy own=200", await File.ReadAllTextAsync(Path.Combine(b.Directory, "own.txt")));

        // A is handed the whole URL, secret included: the listener sees that the connection is not B's user's.
        var log = await RunAAsync("""
            curl -s -w ' code=%{http_code}\n' "$1"
            curl -s -w ' code=%{http_code}\n' "$1v1/anything"
            """, b.ProxyUrl.ToString());

        Assert.Equal(2, log.Split("code=403").Length - 1);
        Assert.DoesNotContain("b-proxy", log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_cannot_read_Bs_private_artifacts_before_they_are_uploaded()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        var taskB = Harness.NewTask();
        await using var builderB = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions
        {
            Task = taskB,
            Payload = NativeEngineTests.Shell($"mkdir -p private; echo {secret} > private/report.txt; chmod -R a+rwX private; chmod a+rx ."),
        });
        var dirB = builderB.WorkingDirectory!;
        await using var sandboxB = await builderB.StartAsync();
        await using var resultB = await sandboxB.WaitForResultAsync();
        Assert.True(resultB.Success, taskB.LogText);

        // B has ended and even opened its folder to all; its artifacts wait for the upload. A runs now.
        var log = await RunAAsync("""cat "$1/private/report.txt"; ls -la "$1"; echo "done" """, dirB);

        Assert.Contains("done", log, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        Assert.Contains("Permission denied", log, StringComparison.Ordinal);

        // The upload still reads them.
        await using var artifact = await resultB.OpenFileAsync("private/report.txt");
        Assert.Equal(secret, (await new StreamReader(artifact).ReadToEndAsync()).Trim());
    }

    [SkippableFact]
    public async Task A_cannot_signal_Bs_processes()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var b = await StartBAsync();

        var log = await RunAAsync("""
            for s in TERM KILL STOP HUP; do kill -s $s "$1"; echo "$s=$?"; done
            kill -s KILL -1; echo "all=$?"
            """, b.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Contains("TERM=1", log, StringComparison.Ordinal);
        Assert.Contains("KILL=1", log, StringComparison.Ordinal);
        Assert.Contains("STOP=1", log, StringComparison.Ordinal);
        Assert.Contains("HUP=1", log, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.Contains(b.Pid, HostProcesses.WithCommandLine("sleep " + b.Marker));
        Assert.Contains(ProcessState(b.Pid), new[] { "S", "R" });
    }

    private static string ProcessState(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
    }

    /// <summary>Runs task A with <c>sh -c script a b ...</c> (arguments as $1, $2, ...) and returns its log.</summary>
    private async Task<string> RunAAsync(string script, params string[] arguments)
    {
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Commands([.. new[] { "sh", "-c", script, "task-a" }, .. arguments]));
        await using (result)
        {
            return log.LogText;
        }
    }

    /// <summary>Starts task B: a secret in its environment and its folder, a proxy, and a sleep marked with a unique duration.</summary>
    /// <param name="prelude">Shell commands B runs first.</param>
    private async Task<RunningB> StartBAsync(string prelude = "")
    {
        var marker = HostProcesses.UniqueSleepSeconds();
        var task = Harness.NewTask();
        var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions
        {
            Task = task,
            Payload = NativeEngineTests.Shell($"{prelude}echo \"$B_SECRET\" > secret.txt; curl -s -w ' own=%{{http_code}}' \"$B_PROXY_URL\" > own.txt; echo \"$B_PROXY_URL\" > proxy.txt; exec sleep {marker}"),
        });
        ISandbox sandbox;
        Uri proxyUrl;
        string directory;
        await using (builder)
        {
            proxyUrl = (await builder.AttachProxyAsync("bproxy", context => context.Response.WriteAsync("b-proxy"))).Url;
            builder.SetEnvironmentVariable("B_SECRET", secret);
            builder.SetEnvironmentVariable("B_PROXY_URL", proxyUrl.ToString());
            directory = builder.WorkingDirectory!;
            sandbox = await builder.StartAsync();
        }

        var running = new RunningB(sandbox, directory, proxyUrl, marker);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (HostProcesses.WithCommandLine("sleep " + marker).Count == 0 || !File.Exists(Path.Combine(directory, "proxy.txt")))
        {
            Assert.True(DateTime.UtcNow < until, "task B did not start:\n" + task.LogText);
            await Task.Delay(50);
        }

        running.Pid = HostProcesses.WithCommandLine("sleep " + marker)[0];
        Assert.Contains(secret, await File.ReadAllTextAsync(Path.Combine(directory, "secret.txt")), StringComparison.Ordinal);
        return running;
    }

    private sealed class RunningB(ISandbox sandbox, string directory, Uri proxyUrl, string marker) : IAsyncDisposable
    {
        public string Directory => directory;

        public Uri ProxyUrl => proxyUrl;

        public string Marker => marker;

        public int Pid { get; set; }

        public async ValueTask DisposeAsync()
        {
            await sandbox.KillAsync();
            await (await sandbox.WaitForResultAsync()).DisposeAsync();
            await sandbox.DisposeAsync();
        }
    }
}
