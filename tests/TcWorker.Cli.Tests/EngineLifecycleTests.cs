using System.Diagnostics;
using Newtonsoft.Json.Linq;

namespace TcWorker.Cli.Tests;

/// <summary>
/// The real tc-worker binary with the lifecycle test engine (tests/TestAssets/LifecycleEngine) from a
/// plugin folder: how an engine's start and health end the worker, and what worker-runner hears. The
/// engine fails before any claim, so the root URL points nowhere.
/// </summary>
public sealed class EngineLifecycleTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-lifecycle-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("config-error", 78, "$.engines.lifecycle: the engine 'lifecycle' cannot start: $.engines.lifecycle.start: the socket /nowhere/lifecycle.sock does not exist")]
    [InlineData("unavailable", 69, "The engine 'lifecycle' is unavailable: the lifecycle daemon at /nowhere/lifecycle.sock does not answer (still after 1 s, worker.startTimeout)")]
    [InlineData("crash", 70, "The engine 'lifecycle' failed to start: InvalidOperationException: the lifecycle engine broke while starting")]
    public async Task An_engine_whose_start_fails_stops_the_worker_with_its_exit_code_and_a_message_naming_it(string start, int exitCode, string message)
    {
        var config = WriteConfig(new JObject
        {
            ["engine"] = "lifecycle",
            ["engines"] = new JObject { ["lifecycle"] = new JObject { ["start"] = start } },
            ["worker"] = new JObject { ["workerPoolId"] = "test/lifecycle", ["startTimeout"] = 1, ["minimumDiskSpace"] = 0 },
            ["rootUrl"] = "http://127.0.0.1:9",
            ["credentials"] = new JObject { ["clientId"] = "test", ["accessToken"] = "test" },
            ["temporaryFolder"] = Path.Combine(folder, "worker"),
        });

        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("work", "--config", config, "--plugin-dir", TcWorkerProcess.TestAssets);

        Assert.True(exit == exitCode, $"exit code {exit}: {stderr}");
        Assert.Contains("tc-worker: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        if (start == "unavailable")
        {
            // Each wait is logged with the cause before the worker gives up.
            Assert.Contains("Engine 'lifecycle' is waiting for a dependency: the lifecycle daemon at /nowhere/lifecycle.sock does not answer; retrying in", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Under_worker_runner_an_engine_unhealthy_past_the_timeout_is_reported_and_stops_the_worker_with_69()
    {
        // What worker-runner writes for generic-worker, plus the engine and the worker's timing.
        var config = WriteConfig(new JObject
        {
            ["rootURL"] = "http://127.0.0.1:9",
            ["clientId"] = "test",
            ["accessToken"] = "test",
            ["provisionerId"] = "test",
            ["workerType"] = "lifecycle",
            ["workerGroup"] = "runner",
            ["workerId"] = "runner-1",
            ["engine"] = "lifecycle",
            ["engines"] = new JObject { ["lifecycle"] = new JObject { ["health"] = "unhealthy" } },
            ["worker"] = new JObject { ["healthCheckInterval"] = 0.2, ["unhealthyTimeout"] = 1, ["minimumDiskSpace"] = 0 },
            ["temporaryFolder"] = Path.Combine(folder, "worker"),
        });
        var start = new ProcessStartInfo(TcWorkerProcess.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "run", "--config", config, "--with-worker-runner", "--plugin-dir", TcWorkerProcess.TestAssets })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync("""~{"type": "welcome", "capabilities": ["graceful-termination", "error-report"]}""");
        await process.StandardInput.FlushAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(process.ExitCode == 69, $"exit code {process.ExitCode}: {await stderr}");
        var messages = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JObject.Parse(line.TrimStart('~'))).ToList();
        Assert.Equal("hello", (string)messages[0]["type"]!);
        var reports = messages.Where(m => (string)m["type"]! == "error-report").ToList();
        Assert.Equal(["Engine unhealthy", "Engine unhealthy for too long"], reports.Select(r => (string)r["title"]!));
        Assert.All(reports, r =>
        {
            Assert.Equal("worker-error", (string)r["kind"]!);
            Assert.Contains("engine 'lifecycle': the lifecycle daemon reports a full disk", (string)r["description"]!, StringComparison.Ordinal);
            Assert.Equal("engine 'lifecycle': the lifecycle daemon reports a full disk", (string)r["extra"]!["reasons"]!);
        });
        Assert.Contains("exit code 69", (string)reports[1]["description"]!, StringComparison.Ordinal);

        // Logged once when it changed, not at every check.
        var log = await stderr;
        Assert.Single(log.Split('\n'), line => line.Contains("Not claiming: engine 'lifecycle'", StringComparison.Ordinal));
        Assert.Contains("stopped: the engines stayed unhealthy for worker.unhealthyTimeout", log, StringComparison.Ordinal);
    }

    private string WriteConfig(JObject config)
    {
        var path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, config.ToString());
        return path;
    }
}
