using System.Reflection;
using Newtonsoft.Json.Linq;

namespace TcWorker.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Plugins_lists_every_test_asset_with_its_status()
    {
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("plugins", "--plugin-dir", TcWorkerProcess.TestAssets, "--json");
        Assert.True(exit == 0, stderr);
        var list = JArray.Parse(stdout).Cast<JObject>().Where(c => ((string)c["source"]!).StartsWith(TcWorkerProcess.TestAssets, StringComparison.Ordinal)).ToList();

        string Status(string folder) => (string)list.Single(c => ((string)c["source"]!).EndsWith("/" + folder, StringComparison.Ordinal))["status"]!;
        Assert.Equal("loaded", Status("YamlOld"));
        Assert.Equal("loaded", Status("YamlNew"));
        Assert.Equal("loaded", Status("EchoEngine"));
        Assert.Equal("loaded", Status("LifecycleEngine"));
        Assert.Equal("error", Status("ContractV2Plugin"));
        Assert.Equal("error", Status("ContractV11Plugin"));
        Assert.Equal("error", Status("ThrowingCtor"));
        Assert.Equal("error", Status("TwinA"));
        Assert.Equal("error", Status("TwinB"));
        Assert.Equal("error", Status("NoProvider"));
        Assert.Equal(10, list.Count);
        Assert.Equal("2.0", (string)list.Single(c => (string)c["name"]! == "contractv2plugin")["contract"]!);
        Assert.Equal("1.1", (string)list.Single(c => (string)c["name"]! == "contractv11plugin")["contract"]!);
    }

    [Fact]
    public async Task Plugins_table_shows_errors_under_their_component()
    {
        var (exit, stdout, _) = await TcWorkerProcess.RunAsync("plugins", "--plugin-dir", TcWorkerProcess.TestAssets);
        Assert.Equal(0, exit);
        Assert.Contains("NAME", stdout, StringComparison.Ordinal);
        Assert.Contains("error: TestAssets.ThrowingCtor.dll: creating the provider", stdout, StringComparison.Ordinal);
        Assert.Matches(@"yaml-old\s+plugin\s+\S+\s+1\.0\s+loaded", stdout);
    }

    [Fact]
    public async Task The_stock_binary_loads_its_own_engines_and_plugins_from_plugin_folders()
    {
        var bundled = Path.Combine(TcWorkerProcess.Directory, "plugins");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("plugins", "--json");
        Assert.True(exit == 0, stderr);
        var list = JArray.Parse(stdout).Cast<JObject>().ToList();
        Assert.Equal(["docker", "mock", "native", "script"], list.Where(c => (string)c["kind"]! == "engine").Select(c => (string)c["name"]!));
        Assert.All(list, c =>
        {
            Assert.Equal("loaded", (string)c["status"]!);
            Assert.StartsWith(bundled, (string)c["source"]!, StringComparison.Ordinal);
        });
        // A plugin folder never carries a copy of the contracts; the engines carry their own copy of the SDK, which the scanner takes for a library.
        Assert.Empty(System.IO.Directory.EnumerateFiles(bundled, "TcWorker.Abstractions.dll", SearchOption.AllDirectories));
        Assert.All(["Mock", "Native", "Script"], engine => Assert.True(File.Exists(Path.Combine(bundled, engine, "TcWorker.Sdk.dll")), $"plugins/{engine} lacks TcWorker.Sdk.dll"));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("plugins", "--no-such-option")]
    [InlineData("schema", "config", "--config")]
    [InlineData("config", "check")]
    public async Task Usage_errors_exit_64_with_a_hint_and_no_stack_trace(params string[] args)
    {
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync(args);
        Assert.Equal(64, exit);
        Assert.Contains("--help' for usage", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plugins")]
    [InlineData("schema", "config")]
    [InlineData("config", "check")]
    [InlineData("version")]
    [InlineData("docs")]
    public async Task Every_command_has_help(params string[] args)
    {
        var (exit, stdout, _) = await TcWorkerProcess.RunAsync([.. args, "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tc-worker: --s3-bucket needs --s3-endpoint", "--s3-bucket", "b")]
    [InlineData("tc-worker: --s3-endpoint needs --s3-bucket", "--s3-endpoint", "http://127.0.0.1:1")]
    [InlineData("tc-worker: --s3-endpoint must be an http or https URL", "--s3-endpoint", "ftp://x", "--s3-bucket", "b")]
    public async Task Queue_serve_rejects_an_incomplete_s3_store_before_starting(string message, params string[] args)
    {
        var data = System.IO.Directory.CreateTempSubdirectory("tcw-cli-s3-").FullName;
        try
        {
            var (exit, _, stderr) = await TcWorkerProcess.RunAsync(["queue", "serve", "--data", data, .. args]);
            Assert.Equal(64, exit);
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(data, "queue.db")));
        }
        finally
        {
            System.IO.Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Queue_serve_on_an_address_in_use_says_so_in_one_line()
    {
        var data = System.IO.Directory.CreateTempSubdirectory("tcw-cli-listen-").FullName;
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var address = taken.LocalEndpoint.ToString()!;
        try
        {
            var (exit, _, stderr) = await TcWorkerProcess.RunAsync("queue", "serve", "--data", data, "--listen", address);
            Assert.Equal(69, exit);
            Assert.Equal($"tc-worker: cannot listen on {address}: Address already in use", stderr.Trim());
        }
        finally
        {
            System.IO.Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Version_prints_the_contract_version()
    {
        var (exit, stdout, _) = await TcWorkerProcess.RunAsync("version");
        Assert.Equal(0, exit);
        Assert.Contains("contract 1.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_check_lists_every_problem_and_exits_78()
    {
        using var file = new TempFile("""
            engine: echo
            engines:
              echo: {repeat: 0}
            worker: {workerPoolId: proj/type, capacity: 0}
            plugins: {twin: {}}
            """);
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("config", "check", "--config", file.Path, "--plugin-dir", TcWorkerProcess.TestAssets);
        Assert.Equal(78, exit);
        Assert.Contains("has 3 problems", stderr, StringComparison.Ordinal);
        Assert.Contains("$.engines.echo.repeat: 0 is less than the minimum 1", stderr, StringComparison.Ordinal);
        Assert.Contains("$.worker.capacity: 0 is less than the minimum 1", stderr, StringComparison.Ordinal);
        Assert.Contains("$.plugins.twin: the plugin 'twin' cannot be used", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_check_accepts_a_valid_config_and_env_transforms()
    {
        using var file = new TempFile("""
            engine: echo
            engines:
              echo: {greeting: {$env: HOME}}
            worker: {workerPoolId: proj/type}
            plugins: {yaml-old: }
            """);
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("config", "check", "-c", file.Path, "--plugin-dir", TcWorkerProcess.TestAssets);
        Assert.True(exit == 0, stderr);
        Assert.Contains("valid (engine echo; plugins yaml-old)", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("accessToken: literal-secret-token", "0644", true)]
    [InlineData("accessToken: literal-secret-token", "0600", false)]
    [InlineData("accessToken: {$env: HOME}", "0644", false)]
    public async Task A_config_file_holding_an_access_token_that_others_can_read_is_warned_about(string token, string mode, bool warned)
    {
        using var file = new TempFile($"engine: native\nworker: {{workerPoolId: proj/type}}\ncredentials:\n  clientId: me\n  {token}\n");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(file.Path, (UnixFileMode)Convert.ToInt32(mode, 8));
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("config", "check", "--config", file.Path);

        Assert.True(exit == 0, stderr);
        var warning = $"tc-worker: warning: {file.Path} holds an access token (credentials.accessToken) and other users can read it (mode {mode}); make it private with: chmod 600 {file.Path}";
        Assert.Equal(warned, stderr.Contains(warning, StringComparison.Ordinal));
        Assert.Equal(warned, stderr.Contains("warning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_config_file_exits_66()
    {
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("config", "check", "--config", "/nonexistent/worker.yml");
        Assert.Equal(66, exit);
        Assert.Contains("/nonexistent/worker.yml does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_config_composes_the_enabled_components_schemas()
    {
        using var file = new TempFile("engine: echo\nworker: {workerPoolId: proj/type}\nplugins: {yaml-new: {}}\n");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("schema", "config", "--config", file.Path, "--plugin-dir", TcWorkerProcess.TestAssets);
        Assert.True(exit == 0, stderr);
        var schema = JObject.Parse(stdout);
        Assert.NotNull(schema.SelectToken("properties.engines.properties.echo.properties.greeting"));
        Assert.Equal(["yaml-new"], ((JObject)schema.SelectToken("properties.plugins.properties")!).Properties().Select(p => p.Name));
    }

    [Fact]
    public async Task Schema_payload_composes_the_engine_and_plugin_payload_schemas_of_a_config()
    {
        var config = Path.Combine(RepoRoot, "samples", "configs", "native.yml");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("schema", "payload", "--config", config);
        Assert.True(exit == 0, stderr);
        var properties = (JObject)JObject.Parse(stdout)["properties"]!;
        Assert.Equal(["artifacts", "command", "env", "features", "maxRunTime", "onExitStatus", "osGroups", "supersederUrl"], properties.Properties().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Schema_payload_of_a_config_with_two_engines_is_a_one_of_with_a_branch_per_engine()
    {
        using var file = new TempFile("engine: [native, mock]\nengines: {native: {createUser: false}}\nworker: {workerPoolId: proj/type}\nplugins: {env: {}, success: {}}\n");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("schema", "payload", "--config", file.Path);
        Assert.True(exit == 0, stderr);
        var schema = JObject.Parse(stdout);
        Assert.Null(schema["properties"]);
        var branches = ((JArray)schema["oneOf"]!).Cast<JObject>().ToList();
        Assert.Equal(["Engine 'native' (generic-worker payload)", "Engine 'mock' (generic-worker payload)"], branches.Select(b => b.Value<string>("title")));
        Assert.Equal(["command"], branches[0]["required"]!.Values<string>());
        Assert.Equal(["function"], branches[1]["required"]!.Values<string>());
        Assert.All(branches, b => Assert.NotNull(b.SelectToken("properties.onExitStatus.properties.retry")));
        Assert.All(branches, b => Assert.NotNull(b.SelectToken("properties.env")));

        var (checkExit, checkOut, checkErr) = await TcWorkerProcess.RunAsync("config", "check", "--config", file.Path);
        Assert.True(checkExit == 0, checkErr);
        Assert.EndsWith(": valid (engines native, mock; plugins env, success)\n", checkOut.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_payload_and_docs_of_a_native_and_docker_worker_give_each_dialect_its_branch()
    {
        using var file = new TempFile("engine: [native, docker]\nengines: {native: {createUser: false}, docker: {network: none}}\nworker: {workerPoolId: proj/type}\nplugins: {env: {}, artifacts: {}, mounts: {}, success: {}}\n");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("schema", "payload", "--config", file.Path);
        Assert.True(exit == 0, stderr);
        var branches = ((JArray)JObject.Parse(stdout)["oneOf"]!).Cast<JObject>().ToList();
        Assert.Equal(["Engine 'native' (generic-worker payload)", "Engine 'docker' (docker-worker payload)"], branches.Select(b => b.Value<string>("title")));
        var (native, docker) = (branches[0], branches[1]);
        Assert.Null(native.SelectToken("properties.image"));
        Assert.Contains("image", docker["required"]!.Values<string>());
        Assert.Equal("array", native.SelectToken("properties.artifacts.type")!.Value<string>());
        Assert.Equal("object", docker.SelectToken("properties.artifacts.type")!.Value<string>());
        Assert.Equal(["file", "directory", "volume"], docker.SelectToken("properties.artifacts.additionalProperties.properties.type.enum")!.Values<string>());
        Assert.Null(native.SelectToken("properties.cache"));
        Assert.NotNull(docker.SelectToken("properties.cache"));
        Assert.NotNull(docker.SelectToken("properties.supersederUrl"));
        Assert.NotNull(docker.SelectToken("properties.onExitStatus.properties.purgeCaches"));
        Assert.Equal(["allowPtrace", "artifacts", "bulkLog", "localLiveLog"], ((JObject)docker.SelectToken("properties.features.properties")!).Properties().Select(p => p.Name).Order(StringComparer.Ordinal));

        var (docsExit, docs, docsErr) = await TcWorkerProcess.RunAsync("docs", "--config", file.Path);
        Assert.True(docsExit == 0, docsErr);
        foreach (var expected in new[] { "## Engine `native` (generic-worker payload)", "## Engine `docker` (docker-worker payload)", "must match exactly one", "### Payload keys (engine `native`)", "### Payload keys (engine `docker`)", "`features.allowPtrace`", "`supersederUrl`" })
        {
            Assert.Contains(expected, docs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Config_check_names_unknown_and_repeated_engines_by_their_place()
    {
        using var file = new TempFile("engine: [native, nosuch, native]\nworker: {workerPoolId: proj/type}\n");
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("config", "check", "--config", file.Path);
        Assert.Equal(78, exit);
        Assert.Contains("$.engine[1]: there is no engine named 'nosuch'", stderr, StringComparison.Ordinal);
        Assert.Contains("$.engine[2]: the engine 'native' is listed more than once; list each engine once", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_payload_refuses_an_invalid_config_with_exit_78()
    {
        using var file = new TempFile("engine: native\nworker: {workerPoolId: proj/type}\nplugins: {nosuch: {}}\n");
        var (exit, _, stderr) = await TcWorkerProcess.RunAsync("schema", "payload", "--config", file.Path);
        Assert.Equal(78, exit);
        Assert.Contains("$.plugins.nosuch: there is no plugin named 'nosuch'; available plugins: artifacts, chainoftrust, env, interactive, livelog, logprefix, maxruntime, mounts, secretmask, success, taskclusterproxy", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Docs_renders_markdown_for_the_engine_and_plugins_of_a_config()
    {
        var config = Path.Combine(RepoRoot, "samples", "configs", "native.yml");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("docs", "--config", config);
        Assert.True(exit == 0, stderr);
        foreach (var heading in new[] { "# Task payload: engine `native`", "## Engine `native`", "## Plugin `env`", "## Plugin `maxruntime`", "## Plugin `artifacts`", "### Payload keys", "### Worker config keys", "## Example payload" })
        {
            Assert.Contains(heading + "\n", stdout, StringComparison.Ordinal);
        }

        foreach (var property in new[] { "`command`", "`env`", "`maxRunTime`", "`artifacts`", "`onExitStatus`", "`onExitStatus.retry`", "`createUser`" })
        {
            Assert.Contains("| " + property + " |", stdout, StringComparison.Ordinal);
        }

        var example = JObject.Parse(stdout[(stdout.IndexOf("```json\n", StringComparison.Ordinal) + 8)..stdout.LastIndexOf("```", StringComparison.Ordinal)]);
        Assert.Equal(["artifacts", "command", "env", "features", "maxRunTime", "onExitStatus", "osGroups", "supersederUrl"], example.Properties().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Docs_cover_the_docker_engine_of_the_sample_config()
    {
        var config = Path.Combine(RepoRoot, "samples", "configs", "docker.yml");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("docs", "--config", config);
        Assert.True(exit == 0, stderr);
        foreach (var text in new[] { "# Task payload: engine `docker`", "## Engine `docker`", "### Capabilities and security\n", "docker-worker:capability:privileged", "| `image` |", "| `capabilities.privileged` |", "| `allowPrivileged` |" })
        {
            Assert.Contains(text, stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Docs_say_plainly_that_without_createUser_a_task_has_the_workers_authority()
    {
        var config = Path.Combine(RepoRoot, "samples", "configs", "native.yml");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("docs", "--config", config);

        Assert.True(exit == 0, stderr);
        Assert.Contains("### Security: who a task runs as\n", stdout, StringComparison.Ordinal);
        Assert.Contains("as the user the worker runs as, with all of that user's authority", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("reaches the task", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Docs_writes_to_the_out_file()
    {
        var config = Path.Combine(RepoRoot, "samples", "configs", "native.yml");
        var output = Path.Combine(Path.GetTempPath(), $"tcw-{Guid.NewGuid():N}.md");
        try
        {
            var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("docs", "--config", config, "--out", output);
            Assert.True(exit == 0, stderr);
            Assert.Equal(string.Empty, stdout);
            Assert.StartsWith("# Task payload: engine `native`", await File.ReadAllTextAsync(output), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string RepoRoot { get; } = typeof(CliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TcWorkerRepoRoot").Value!;

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tcw-{Guid.NewGuid():N}.yml");
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
