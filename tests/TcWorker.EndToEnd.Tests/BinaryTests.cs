using System.Diagnostics;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The real tc-worker binary: run, work with signals, and worker-runner's invocation.</summary>
public sealed class BinaryTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The keys of the config worker-runner writes that say who the worker is and how it authenticates.</summary>
    private static JObject RunnerIdentity(Deployment deployment, string workerId) => new()
    {
        ["rootURL"] = deployment.Server.RootUrl,
        ["clientId"] = deployment.Options.RootClientId,
        ["accessToken"] = deployment.Options.RootAccessToken,
        ["provisionerId"] = "e2e",
        ["workerType"] = "worker",
        ["workerGroup"] = "runner",
        ["workerId"] = workerId,
    };

    private static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    private static Process Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Deployment.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    private static async Task<string> RunToEndAsync(string folder, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(folder, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"tc-worker {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    [Fact]
    public async Task A_served_queue_takes_a_task_a_worker_runs_it_and_its_artifacts_download()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-serve-").FullName;
        // Folders from before, as loose as the common umask 022 made them: tightened at start.
        foreach (var loose in new[] { "data", "worker" })
        {
            Directory.CreateDirectory(Path.Combine(folder, loose));
            File.SetUnixFileMode(Path.Combine(folder, loose), OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        using var server = Start(folder, "queue", "serve", "--data", Path.Combine(folder, "data"));
        try
        {
            var rootUrl = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches("^http://127.0.0.1:[0-9]+$", rootUrl);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(folder, "data")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "data", "queue.db")));
            var environment = File.ReadAllLines(Path.Combine(folder, "data", "credentials.env"))
                .Select(line => line["export ".Length..].Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair[1]);
            Assert.Equal(rootUrl, environment["TASKCLUSTER_ROOT_URL"]);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "data", "credentials.env")));

            var taskId = (await RunToEndAsync(folder, environment, "queue", "create-task", Path.Combine(Deployment.RepoRoot, "samples", "tasks", "hello-world.yml"))).Trim();
            Assert.Contains("\"state\": \"pending\"", await RunToEndAsync(folder, environment, "queue", "status", taskId), StringComparison.Ordinal);

            var config = new JObject
            {
                ["engine"] = "native",
                ["plugins"] = new JObject { ["success"] = new JObject(), ["maxruntime"] = new JObject() },
                ["worker"] = new JObject { ["workerPoolId"] = "local/tc-worker", ["numberOfTasksToRun"] = 1 },
                ["temporaryFolder"] = Path.Combine(folder, "worker"),
            };
            await File.WriteAllTextAsync(Path.Combine(folder, "worker.json"), config.ToString());
            await RunToEndAsync(folder, environment, "work", "--config", Path.Combine(folder, "worker.json"));
            Assert.Equal(OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(Path.Combine(folder, "worker")));

            var listing = await RunToEndAsync(folder, environment, "queue", "artifacts", taskId, "--download", Path.Combine(folder, "out"));
            Assert.Contains("public/logs/live_backing.log", listing, StringComparison.Ordinal);
            Assert.Contains("Hello, world!", await File.ReadAllTextAsync(Path.Combine(folder, "out", "public", "logs", "live_backing.log")), StringComparison.Ordinal);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Artifact_download_skips_names_it_cannot_or_must_not_write_and_saves_the_rest()
    {
        // Artifact names come from the queue: untrusted from where the downloader stands.
        await using var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("true") } });
        var claim = Assert.Single((await deployment.Queue.ClaimWorkAsync(Deployment.WorkerPoolId, new ClaimWorkRequest { WorkerGroup = "e2e", WorkerId = "w1", Tasks = 1 })).Tasks);
        var taskQueue = deployment.Queue.WithCredentials(claim.Credentials);
        var longName = "public/" + new string('x', 5000);
        var outside = Path.Combine(deployment.Folder, "outside");
        string[] names = ["../escape.txt", "public/../../escape-too.txt", Path.Combine(outside, "absolute.txt"), "linked/inside.txt", "public/a.txt", longName, "public/victim.txt", "public/z.txt"];
        foreach (var name in names)
        {
            await new ArtifactUploader(taskQueue).UploadS3Async(taskId, 0, name, "text/plain", DateTimeOffset.UtcNow.AddDays(1), ArtifactUploader.Rewinding(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("from the queue"))));
        }

        await taskQueue.ReportCompletedAsync(taskId, 0);

        // Symbolic links already in the target folder: to a folder and to a file outside it.
        var target = Path.Combine(deployment.Folder, "download");
        Directory.CreateDirectory(Path.Combine(target, "public"));
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "victim.txt"), "keep me");
        File.CreateSymbolicLink(Path.Combine(target, "linked"), outside);
        File.CreateSymbolicLink(Path.Combine(target, "public", "victim.txt"), Path.Combine(outside, "victim.txt"));

        var environment = new Dictionary<string, string>
        {
            ["TASKCLUSTER_ROOT_URL"] = deployment.Server.RootUrl,
            ["TASKCLUSTER_CLIENT_ID"] = deployment.Options.RootClientId!,
            ["TASKCLUSTER_ACCESS_TOKEN"] = deployment.Options.RootAccessToken!,
        };
        using var process = Start(deployment.Folder, environment, "queue", "artifacts", taskId, "--download", target);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var errors = await stderr;

        Assert.True(process.ExitCode == 73, $"exit code {process.ExitCode}: {errors}");
        Assert.Contains($"tc-worker: not saving the artifact '{longName[..60]}…{longName[^20..]}' (5007 characters): its name is too long for the file system", errors, StringComparison.Ordinal);
        Assert.Contains("tc-worker: not saving the artifact '../escape.txt': its name leads outside", errors, StringComparison.Ordinal);
        Assert.Contains("tc-worker: not saving the artifact 'linked/inside.txt': its path goes through a symbolic link", errors, StringComparison.Ordinal);
        Assert.Contains("tc-worker: not saving the artifact 'public/victim.txt': its path goes through a symbolic link", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", errors, StringComparison.Ordinal);
        Assert.Contains($"downloaded 2 artifact(s) into {target}; 6 not saved (see above)", await stdout, StringComparison.Ordinal);
        Assert.Equal("from the queue", await File.ReadAllTextAsync(Path.Combine(target, "public", "a.txt")));
        Assert.Equal("from the queue", await File.ReadAllTextAsync(Path.Combine(target, "public", "z.txt")));
        Assert.Equal(["victim.txt"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("keep me", await File.ReadAllTextAsync(Path.Combine(outside, "victim.txt")));
        Assert.Equal(["download", "outside", "queue"], Directory.GetFileSystemEntries(deployment.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_collects_every_artifact_it_can_into_out_and_names_the_one_it_cannot()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-long-").FullName;
        try
        {
            var longName = "public/" + new string('y', 5000);
            var taskFile = Path.Combine(folder, "task.json");
            await File.WriteAllTextAsync(taskFile, new JObject
            {
                ["command"] = new JArray { new JArray("sh", "-c", "echo hello > a.txt") },
                ["artifacts"] = new JArray
                {
                    new JObject { ["type"] = "file", ["path"] = "a.txt", ["name"] = longName },
                    new JObject { ["type"] = "file", ["path"] = "a.txt", ["name"] = "public/z.txt" },
                },
            }.ToString());
            // s3 storage: an object upload's credentials name the object, which a name this long does not fit in.
            var configFile = Path.Combine(folder, "config.json");
            await File.WriteAllTextAsync(configFile, """
                {
                  "engine": "native",
                  "plugins": {"artifacts": {}, "success": {}},
                  "worker": {"workerPoolId": "local/native", "artifactStorage": "s3"}
                }
                """);
            using var process = Start(folder, "run", taskFile, "--config", configFile, "--out", Path.Combine(folder, "out"));
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            Assert.Contains($"tc-worker: not saving the artifact '{longName[..60]}…{longName[^20..]}' (5007 characters): its name is too long for the file system", await stderr, StringComparison.Ordinal);
            Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(folder, "out", "public", "z.txt")));
            Assert.True(File.Exists(Path.Combine(folder, "out", "public", "logs", "live_backing.log")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("hello-world.yml", 0, "Hello, world!")]
    [InlineData("env.yml", 0, "GREETING=hello from the payload TASK_ID=")]
    [InlineData("failing.yml", 1, "about to fail")]
    [InlineData("multi-command.yml", 1, "first")]
    [InlineData("max-run-time.yml", 1, "Task exceeded maxRunTime of 2 seconds; killed")]
    [InlineData("malformed.yml", 2, "$.command: expected an array")]
    [InlineData("retry-on-exit-code.yml", 2, "listed in onExitStatus.retry")]
    public async Task Run_gives_each_sample_task_its_documented_exit_code_and_writes_the_log(string sample, int exitCode, string logLine)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-run-").FullName;
        try
        {
            using var process = Start(folder, "run", Path.Combine(Deployment.RepoRoot, "samples", "tasks", sample), "--out", Path.Combine(folder, "out"));
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(exitCode == process.ExitCode, $"exit code {process.ExitCode}; stderr: {await stderr}");
            Assert.Contains(logLine, await stdout, StringComparison.Ordinal);
            var log = await File.ReadAllTextAsync(Path.Combine(folder, "out", "public", "logs", "live_backing.log"));
            Assert.Contains(logLine, log, StringComparison.Ordinal);
            Assert.Equal(await stdout, log);
            Assert.Matches(@"tc-worker: task [A-Za-z0-9_-]{22} (completed|failed|exception/[a-z-]+); log and artifacts in ", await stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Run_keeps_the_ambient_taskcluster_credentials_from_the_queue_and_from_tasks()
    {
        // A developer's shell holds a real deployment's credentials; run must neither make them the
        // embedded queue's root nor let a task find them, in its environment or in the worker's.
        const string Token = "real-deployment-token-e2e-0123456789abcdefgh";
        const string Canary = "tcw-readable-worker-environment";
        var folder = Directory.CreateTempSubdirectory("tcw-ambient-").FullName;
        try
        {
            var taskFile = Path.Combine(folder, "task.json");
            await File.WriteAllTextAsync(taskFile, """
                {"command": [["sh", "-c", "env; echo ---; tr '\\0' '\\n' < /proc/$PPID/environ"]]}
                """);
            var environment = new Dictionary<string, string>
            {
                ["TASKCLUSTER_CLIENT_ID"] = "static/real-deployment-e2e",
                ["TASKCLUSTER_ACCESS_TOKEN"] = Token,
                ["TCW_CANARY"] = Canary,
            };
            using var process = Start(folder, environment, "run", taskFile, "--out", Path.Combine(folder, "out"));
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            var log = await File.ReadAllTextAsync(Path.Combine(folder, "out", "public", "logs", "live_backing.log"));
            // The task did read the worker's environment (it runs with the worker's authority)...
            Assert.Contains("TCW_CANARY=" + Canary, log, StringComparison.Ordinal);
            // ...but the token is in none of it.
            foreach (var text in new[] { log, await stdout, await stderr })
            {
                Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
                Assert.DoesNotContain("static/real-deployment-e2e", text, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_resolves_running_tasks_as_worker_shutdown_and_leaves_no_process_or_folder()
    {
        await using var deployment = await Deployment.StartAsync();
        var marker = Deployment.SleepMarker();
        var tasks = new[]
        {
            await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sleep", marker) } }),
            await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sh", "-c", $"setsid sleep {marker} & sleep {marker}") } }),
        };
        var config = deployment.Config(tasks: 10, capacity: 2, worker: w => w["shutdownGracePeriod"] = 1);
        var configFile = Path.Combine(deployment.Folder, "worker.json");
        await File.WriteAllTextAsync(configFile, config.ToString());

        using var process = Start(deployment.Folder, "work", "--config", configFile);
        var stderr = process.StandardError.ReadToEndAsync();
        await Deployment.WaitUntilAsync(() => Deployment.ProcessesWith(marker).Count >= 3, "both tasks run");
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        Assert.Empty(Deployment.ProcessesWith(marker));
        foreach (var taskId in tasks)
        {
            var run = (await deployment.StatusAsync(taskId)).Runs[0];
            Assert.Equal("exception", run.State);
            Assert.Equal("worker-shutdown", run.ReasonResolved);
        }

        Assert.Equal([".tc-worker-temporary-storage"], Directory.EnumerateFileSystemEntries((string)config["temporaryFolder"]!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Started_as_worker_runner_starts_generic_worker_it_speaks_the_protocol_and_stops_when_told()
    {
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 10);
        var written = RunnerIdentity(deployment, "runner-1");
        written.Merge(new JObject
        {
            ["workerLocation"] = "{\"cloud\":\"static\"}",
            ["engine"] = config["engine"],
            ["engines"] = config["engines"],
            ["plugins"] = config["plugins"],
            ["temporaryFolder"] = config["temporaryFolder"],
        });
        var configFile = Path.Combine(deployment.Folder, "generic-worker.json");
        await File.WriteAllTextAsync(configFile, written.ToString());

        // Exactly how worker-runner starts generic-worker: <path> run --config <file> --with-worker-runner.
        using var process = Start(deployment.Folder, "run", "--config", configFile, "--with-worker-runner");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync("""~{"type": "welcome", "capabilities": ["graceful-termination", "new-credentials", "log"]}""");
        await process.StandardInput.FlushAsync();
        var hello = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("""~{"type":"hello","capabilities":["graceful-termination","new-credentials","log"]}""", hello);

        // It claims as the identity worker-runner gave it: a task gets done.
        var taskId = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("true") } });
        var status = await deployment.WaitForAsync(taskId, s => s.State == "completed");
        Assert.Equal("runner-1", status.Runs[0].WorkerId);

        await process.StandardInput.WriteLineAsync("""~{"type": "graceful-termination", "finish-tasks": true}""");
        await process.StandardInput.FlushAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");

        // Nothing but protocol messages on stdout: the forwarded log.
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            Assert.StartsWith("""~{"type":"log","body":{""", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Under_a_scripted_worker_runner_it_forwards_logs_takes_new_credentials_and_asks_for_shutdown_when_idle()
    {
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 10);
        var written = RunnerIdentity(deployment, "runner-2");
        written.Merge(new JObject
        {
            // worker-runner's documented form of the worker pool's own config.
            ["genericWorker"] = new JObject
            {
                ["config"] = new JObject
                {
                    ["engine"] = config["engine"],
                    ["engines"] = config["engines"],
                    ["plugins"] = config["plugins"],
                    ["temporaryFolder"] = config["temporaryFolder"],
                    ["worker"] = new JObject { ["idleTimeout"] = 3, ["minimumDiskSpace"] = 0 },
                },
                ["files"] = new JArray(),
            },
        });
        var configFile = Path.Combine(deployment.Folder, "generic-worker.json");
        await File.WriteAllTextAsync(configFile, written.ToString());

        using var process = Start(deployment.Folder, "run", "--config", configFile, "--with-worker-runner");
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync("""~{"type": "welcome", "capabilities": ["graceful-termination", "new-credentials", "error-report", "shutdown", "log"]}""");
        await process.StandardInput.FlushAsync();
        var hello = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("""~{"type":"hello","capabilities":["graceful-termination","new-credentials","error-report","shutdown","log"]}""", hello);
        var messages = new List<JObject>();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                Assert.StartsWith("~{", line, StringComparison.Ordinal);
                lock (messages)
                {
                    messages.Add(JObject.Parse(line[1..]));
                }
            }
        });

        var taskId = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("true") } });
        var status = await deployment.WaitForAsync(taskId, s => s.State == "completed");
        Assert.Equal("runner-2", status.Runs[0].WorkerId);
        await process.StandardInput.WriteLineAsync($$"""~{"type": "new-credentials", "client-id": "{{deployment.Options.RootClientId}}", "access-token": "{{deployment.Options.RootAccessToken}}"}""");
        await process.StandardInput.FlushAsync();

        // Idle for worker.idleTimeout: it says shutdown and exits by itself.
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        Assert.Equal("shutdown", (string?)messages[^1]["type"]);
        var logs = messages.Where(m => (string?)m["type"] == "log").Select(m => (JObject)m["body"]!).ToList();
        var claimed = Assert.Single(logs, l => ((string?)l["textPayload"])?.StartsWith($"Claimed task {taskId}", StringComparison.Ordinal) == true);
        Assert.Equal("information", (string?)claimed["level"]);
        Assert.Equal(taskId, (string?)claimed["TaskId"]);
        Assert.Contains(logs, l => ((string?)l["textPayload"])?.Contains(deployment.Options.RootClientId!, StringComparison.Ordinal) == true && ((string?)l["textPayload"])!.Contains("credentials", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(logs, l => l.ToString().Contains(deployment.Options.RootAccessToken!, StringComparison.Ordinal));
    }

    [Fact]
    public Task A_1_GiB_artifact_streams_through_with_flat_memory() => AssertFlatMemoryAsync("big.bin", null);

    /// <summary>
    /// The gzip path: with s3 storage a .txt is compressed into a temporary file, uploaded from it
    /// with Content-Encoding: gzip, and decoded again by tc-worker's download.
    /// </summary>
    [Fact]
    public Task A_1_GiB_text_artifact_gzips_through_s3_storage_with_flat_memory() => AssertFlatMemoryAsync("big.txt", """
        {
          "engine": "native",
          "engines": {"native": {"createUser": false}},
          "plugins": {"artifacts": {}, "env": {}, "maxruntime": {}, "success": {}},
          "worker": {"workerPoolId": "local/native", "artifactStorage": "s3"}
        }
        """);

    private static async Task AssertFlatMemoryAsync(string file, string? config)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-big-").FullName;
        try
        {
            var taskFile = Path.Combine(folder, "big.json");
            await File.WriteAllTextAsync(taskFile, $$"""
                {
                  "command": [["sh", "-c", "head -c 1073741824 /dev/zero > {{file}} && sha256sum {{file}}"]],
                  "artifacts": [{"type": "file", "path": "{{file}}", "name": "public/{{file}}"}]
                }
                """);
            string[] args = ["run", taskFile, "--out", Path.Combine(folder, "out")];
            if (config is not null)
            {
                var configFile = Path.Combine(folder, "config.json");
                await File.WriteAllTextAsync(configFile, config);
                args = [.. args, "--config", configFile];
            }

            using var process = Start(folder, args);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var peakKiB = await PeakMemory.UntilExitKiBAsync(process);

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            var downloaded = Path.Combine(folder, "out", "public", file);
            Assert.Equal(1L << 30, new FileInfo(downloaded).Length);
            await using (var content = File.OpenRead(downloaded))
            {
                var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(content));
                Assert.Contains(hash + "  " + file, await stdout, StringComparison.Ordinal);
            }

            // The worker, the queue and the download all stream: far below the file's size.
            Assert.True(peakKiB is > 0 and < 400 * 1024, $"peak resident memory of tc-worker run: {peakKiB} KiB");
            Console.WriteLine($"tc-worker run peak RSS with a 1 GiB artifact ({file}, {(config is null ? "object" : "s3")} storage): {peakKiB / 1024} MiB");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
