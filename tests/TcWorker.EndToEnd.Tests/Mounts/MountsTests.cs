using System.IO.Compression;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.EndToEnd.Tests.Mounts;

/// <summary>generic-worker's mounts on the native engine, with the real local queue, index and a loopback HTTP server.</summary>
public sealed class MountsTests(MountsFixture fixture) : IClassFixture<MountsFixture>
{
    /// <summary>What real deployments grant everyone (the anonymous role); the local queue has no such role.</summary>
    private const string PublicArtifacts = "queue:get-artifact:public/*";

    private Deployment Deployment => fixture.Deployment;

    [Fact]
    public async Task Every_content_kind_and_format_is_mounted_with_modes_and_links_kept()
    {
        var mounts = new JArray
        {
            Mount("file", "raw.txt", new JObject { ["raw"] = "raw text" }),
            Mount("file", "b64.txt", new JObject { ["base64"] = Gzip("gzipped text") }, "gz"),
            Mount("file", "url.txt", new JObject { ["url"] = new Uri(fixture.Url, "url.txt").ToString(), ["sha256"] = MountsFixture.Sha256(MountsFixture.UrlText) }),
            Mount("file", "zst.txt", Artifact("public/m/file.zst"), "zst"),
            Mount("directory", "idx", new JObject { ["namespace"] = MountsFixture.IndexPath, ["artifact"] = "public/m/a.tar.gz" }, "tar.gz"),
            Mount("directory", "private", Artifact("private/p.tar"), "tar"),
        };
        var checks = new StringBuilder("set -e\n");
        checks.Append("test \"$(cat raw.txt)\" = 'raw text'\ntest \"$(cat b64.txt)\" = 'gzipped text'\n");
        checks.Append("test \"$(cat url.txt)\" = 'url text'\ntest \"$(cat zst.txt)\" = 'zstd file'\n");
        var folders = new List<string> { "idx", "private" };
        foreach (var format in MountsFixture.ArchiveFormats)
        {
            var folder = "ro-" + format.Replace('.', '-');
            mounts.Add(Mount("directory", folder, Artifact("public/m/a." + format), format));
            folders.Add(folder);
        }

        foreach (var folder in folders)
        {
            checks.Append($"test \"$(cat {folder}/dir/hello.txt)\" = hello || {{ echo 'BAD content in {folder}'; exit 1; }}\n");
            checks.Append($"test \"$(stat -c %a {folder}/tool.sh)\" = 755 || {{ echo 'BAD mode in {folder}'; exit 1; }}\n");
            checks.Append($"test \"$(readlink {folder}/link)\" = dir/hello.txt || {{ echo 'BAD link in {folder}'; exit 1; }}\n");
        }

        checks.Append("echo ALL-MOUNTS-GOOD\n");
        var taskId = await CreateAsync(mounts, checks.ToString(), ["queue:get-artifact:private/p.tar", PublicArtifacts, $"index:find-task:{MountsFixture.IndexPath}"]);
        await RunWorkerAsync(tasks: 1);

        var log = await fixture.LogAsync(taskId);
        Assert.True((await Deployment.StatusAsync(taskId)).Runs[0].State == "completed", log);
        Assert.Contains("ALL-MOUNTS-GOOD", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_mounts_resolve_malformed_payload_with_a_mounts_line_naming_the_mount()
    {
        var zeros = new string('0', 64);
        var cases = new (string Expected, JObject Mount, string[] Scopes, bool Depend)[]
        {
            ("[mounts] writableDirectoryCache 'secret-cache' at 'c' ($.mounts[0]): the task lacks the scope generic-worker:cache:secret-cache",
                new JObject { ["cacheName"] = "secret-cache", ["directory"] = "c" }, [], false),
            ($"has SHA-256 {MountsFixture.Sha256(MountsFixture.UrlText)}, but the payload expects {zeros}",
                Mount("file", "url.txt", new JObject { ["url"] = new Uri(fixture.Url, "url.txt").ToString(), ["sha256"] = zeros }), [], false),
            ("[mounts] readOnlyDirectory 'dotdot': the archive's entry '../escaped.txt' leads outside the target folder",
                Mount("directory", "dotdot", new JObject { ["base64"] = MountsFixture.TarBase64(MountsFixture.File("ok.txt", "ok"), MountsFixture.File("../escaped.txt", "x")) }, "tar"), [], false),
            ("[mounts] readOnlyDirectory 'zip-slip': the archive's entry '../zipped.txt' leads outside the target folder",
                Mount("directory", "zip-slip", new JObject { ["base64"] = ZipBase64("ok.txt", "../zipped.txt") }, "zip"), [], false),
            ("[mounts] readOnlyDirectory 'absolute': the archive's entry '/tmp/escaped.txt' is an absolute path",
                Mount("directory", "absolute", new JObject { ["base64"] = MountsFixture.TarBase64(MountsFixture.File("/tmp/escaped.txt", "x")) }, "tar"), [], false),
            ("[mounts] readOnlyDirectory 'links': the archive's entry 'here/up' leads outside the target folder through a symbolic link",
                Mount("directory", "links", new JObject { ["base64"] = MountsFixture.TarBase64(MountsFixture.Link("here", "."), MountsFixture.Link("here/up", "here/.."), MountsFixture.File("up/escaped.txt", "x")) }, "tar"), [], false),
            ("[mounts] readOnlyDirectory 'mz' ($.mounts[0]): the format 'tar.mz' cannot be read by this worker",
                Mount("directory", "mz", new JObject { ["raw"] = "x" }, "tar.mz"), [], false),
            ($"[mounts] fileMount 'f' ($.mounts[0]): the content's task {fixture.ProducerId} is not in task.dependencies",
                Mount("file", "f", Artifact("public/m/a.tar")), [], false),
            ("[mounts] readOnlyDirectory 'p' ($.mounts[0]): the task may not read the private artifact 'private/p.tar': it lacks the scope queue:get-artifact:private/p.tar",
                Mount("directory", "p", Artifact("private/p.tar"), "tar"), [], true),
        };
        var ids = new List<string>();
        foreach (var (_, mount, scopes, depend) in cases)
        {
            ids.Add(await CreateAsync(new JArray { mount }, "echo SHOULD-NOT-RUN", scopes, depend));
        }

        await RunWorkerAsync(tasks: cases.Length);

        for (var i = 0; i < cases.Length; i++)
        {
            var log = await fixture.LogAsync(ids[i]);
            var run = (await Deployment.StatusAsync(ids[i])).Runs[0];
            Assert.True(run.ReasonResolved == "malformed-payload", $"case {i}: {run.State}/{run.ReasonResolved}\n{log}");
            Assert.True(log.Contains(cases[i].Expected, StringComparison.Ordinal), $"case {i}: {log}");
            Assert.DoesNotContain("SHOULD-NOT-RUN", log, StringComparison.Ordinal);
        }

        Assert.False(File.Exists("/tmp/escaped.txt"), "an absolute entry was written");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cache_is_held_by_one_task_at_a_time_both_are_kept_and_purge_codes_drop_one(bool createUser)
    {
        var name = "cache-" + Guid.NewGuid().ToString("N")[..8];
        var cache = new JArray { new JObject { ["cacheName"] = name, ["directory"] = "cache" } };
        string[] scopes = [$"generic-worker:cache:{name}"];

        // Two tasks at once: the second gets a fresh cache of the same name.
        var first = await CreateAsync(cache, "touch cache/first; sleep 3; echo LIST $(ls cache)", scopes);
        var second = await CreateAsync(cache, "touch cache/second; sleep 3; echo LIST $(ls cache)", scopes);

        // Then, one after the other: a reader, a task whose exit code purges its cache, and another reader.
        var reader = await CreateAsync(cache, "echo LIST $(ls cache); touch cache/reader", scopes, after: [first, second]);
        var purger = await CreateAsync(cache, "echo LIST $(ls cache); touch cache/purger; exit 3", scopes, after: [reader], purgeCodes: [3]);
        var last = await CreateAsync(cache, "echo LIST $(ls cache)", scopes, after: [purger]);
        await RunWorkerAsync(tasks: 5, capacity: 2, createUser: createUser);

        var firstListing = await ListingAsync(first);
        Assert.True(firstListing == "LIST first", firstListing);
        Assert.Equal("LIST second", await ListingAsync(second));
        var kept = await ListingAsync(reader);
        Assert.True(kept is "LIST first" or "LIST second", kept);
        Assert.Equal(string.Join(' ', new[] { "LIST", kept[5..], "reader" }.Order(StringComparer.Ordinal)), await ListingAsync(purger));
        Assert.Equal("failed", (await Deployment.StatusAsync(purger)).Runs[0].State);
        var other = kept == "LIST first" ? "LIST second" : "LIST first";
        Assert.Equal(other, await ListingAsync(last));
    }

    /// <summary>
    /// With createUser, consecutive task users share a warm cache without owner changes: the second writes into
    /// a private file (600, in a 700 folder) the first created, and a third task, with another cache, cannot
    /// read the first cache even by its path on the host (which the first task finds in its mount table, or
    /// behind its link where the host makes no idmapped mounts).
    /// </summary>
    [Fact]
    public async Task With_createUser_the_next_task_user_writes_into_a_warm_caches_files_and_another_caches_task_cannot_read_them()
    {
        var (name, other) = ("shared-" + Guid.NewGuid().ToString("N")[..8], "other-" + Guid.NewGuid().ToString("N")[..8]);
        var cache = new JArray { new JObject { ["cacheName"] = name, ["directory"] = "cache" } };
        const string FindSource = """
            src=$(awk -v m="$PWD/cache" '$5 == m { print $3, $4 }' /proc/self/mountinfo)
            if [ -n "$src" ]; then
              set -- $src; root=$(awk -v d="$1" '$3 == d && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
              src="${root%/}$2"
            else src=$(readlink -f cache); fi
            echo "SOURCE $src"
            """;
        var first = await CreateAsync(cache, FindSource + "\nmkdir cache/d && echo one > cache/d/f && chmod 600 cache/d/f && chmod 700 cache/d && echo UID $(id -u)", [$"generic-worker:cache:{name}"]);
        var second = await CreateAsync(cache, "echo two >> cache/d/f && echo UID $(id -u) && echo LIST $(cat cache/d/f)", [$"generic-worker:cache:{name}"], after: [first]);

        // The third task learns the path from the first one's log only once that has run: it waits for the test to pass it on.
        var handOver = Path.Combine(Deployment.Folder, "source-" + Guid.NewGuid().ToString("N")[..8]);
        var third = await CreateAsync(
            new JArray { new JObject { ["cacheName"] = other, ["directory"] = "cache" } },
            $"for i in $(seq 200); do [ -s {handOver} ] && break; sleep 0.1; done; src=$(cat {handOver}); if cat \"$src/d/f\"; then echo READ-$((40 + 2))-OTHER; fi; echo LIST $(ls -A cache) end",
            [$"generic-worker:cache:{other}"],
            after: [second]);
        var worker = RunWorkerAsync(tasks: 3, createUser: true);
        var source = await WaitForLineAsync(first, "SOURCE ");
        await File.WriteAllTextAsync(handOver, source);
        File.SetUnixFileMode(handOver, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        await worker;

        var firstLog = await fixture.LogAsync(first);
        var secondLog = await fixture.LogAsync(second);
        Assert.True((await Deployment.StatusAsync(second)).Runs[0].State == "completed", secondLog);
        Assert.Equal("LIST one two", await ListingAsync(second));
        Assert.NotEqual(Line(firstLog, "UID "), Line(secondLog, "UID "));
        var thirdLog = await fixture.LogAsync(third);
        Assert.Equal("LIST end", await ListingAsync(third));
        Assert.DoesNotContain("READ-42-OTHER", thirdLog, StringComparison.Ordinal);
        Assert.Contains("Permission denied", thirdLog, StringComparison.Ordinal);
    }

    /// <summary>
    /// The worker polls purgeRequests before each task that attaches a cache (purgeCacheInterval 0): a
    /// purge request made while the first task holds cache X drops X before the next task, and
    /// leaves cache Y of the same tasks warm.
    /// </summary>
    [Fact]
    public async Task A_purge_request_gives_the_next_task_a_fresh_cache_of_that_name_only()
    {
        var (purged, kept) = ("purged-" + Guid.NewGuid().ToString("N")[..8], "kept-" + Guid.NewGuid().ToString("N")[..8]);
        var caches = new JArray
        {
            new JObject { ["cacheName"] = purged, ["directory"] = "x" },
            new JObject { ["cacheName"] = kept, ["directory"] = "y" },
        };
        string[] scopes = [$"generic-worker:cache:{purged}", $"generic-worker:cache:{kept}"];
        var started = Path.Combine(Deployment.Folder, $"started-{purged}");
        var filler = await CreateAsync(caches, $"touch x/filled y/filled; echo LIST $(ls x) / $(ls y); touch {started}; sleep 3", scopes);
        var next = await CreateAsync(caches, "echo LIST $(ls x) / $(ls y)", scopes, after: [filler]);
        var config = fixture.Config(tasks: 2);
        config["plugins"]!["mounts"]!["purgeCacheInterval"] = 0;
        var worker = RunWorkerAsync(tasks: 2, config: config);

        // the task is running its command, so its caches exist: the purge request is newer than them
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!File.Exists(started) && !worker.IsCompleted && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.True(File.Exists(started), "the first task did not start its command");
        await Deployment.Client.PurgeCache.PurgeCacheAsync(Deployment.WorkerPoolId, purged);
        await worker;

        Assert.Equal("LIST filled / filled", await ListingAsync(filler));
        Assert.Equal("LIST / filled", await ListingAsync(next));
    }

    [Fact]
    public async Task A_cache_is_purged_when_its_task_exceeds_maxRunTime()
    {
        var name = "cache-" + Guid.NewGuid().ToString("N")[..8];
        var cache = new JArray { new JObject { ["cacheName"] = name, ["directory"] = "cache" } };
        string[] scopes = [$"generic-worker:cache:{name}"];
        var slow = await CreateAsync(cache, "touch cache/slow; echo LIST $(ls cache); sleep 30", scopes, maxRunTime: 1);
        var next = await CreateAsync(cache, "echo LIST $(ls cache)", scopes, after: [slow]);
        await RunWorkerAsync(tasks: 2);

        Assert.Equal("failed", (await Deployment.StatusAsync(slow)).Runs[0].State);
        Assert.Equal("LIST slow", await ListingAsync(slow));
        Assert.Equal("LIST", await ListingAsync(next));
    }

    [Fact]
    public async Task Downloads_are_kept_by_source_and_reused_only_by_tasks_that_may_read_them()
    {
        var mount = new JArray { Mount("directory", "p", Artifact("private/p.tar"), "tar") };
        const string Script = "cat p/dir/hello.txt";
        var first = await CreateAsync(mount, Script, ["queue:get-artifact:private/p.tar"]);
        var second = await CreateAsync(mount, Script, ["queue:get-artifact:private/p.tar"], after: [fixture.ProducerId, first]);
        var unauthorized = await CreateAsync(mount, Script, [], after: [fixture.ProducerId, second]);
        await RunWorkerAsync(tasks: 3);

        Assert.DoesNotContain("kept from an earlier download", await fixture.LogAsync(first), StringComparison.Ordinal);
        Assert.Contains("kept from an earlier download", await fixture.LogAsync(second), StringComparison.Ordinal);
        Assert.Equal("completed", (await Deployment.StatusAsync(second)).Runs[0].State);
        var refused = await fixture.LogAsync(unauthorized);
        Assert.Equal("malformed-payload", (await Deployment.StatusAsync(unauthorized)).Runs[0].ReasonResolved);
        Assert.Contains("it lacks the scope queue:get-artifact:private/p.tar", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("hello", refused, StringComparison.Ordinal);
    }

    private static string Line(string log, string prefix) =>
        log.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].TrimEnd() ?? $"no '{prefix}' line in:\n{log}";

    /// <summary>Waits until the task has resolved and returns the rest of its first line starting with <paramref name="prefix"/>.</summary>
    private async Task<string> WaitForLineAsync(string taskId, string prefix)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if ((await Deployment.StatusAsync(taskId)).Runs is [{ State: "completed" or "failed" or "exception" }, ..])
            {
                return Line(await fixture.LogAsync(taskId), prefix);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The task {taskId} did not resolve.");
    }

    private async Task<string> ListingAsync(string taskId)
    {
        var log = await fixture.LogAsync(taskId);
        return log.Split('\n').SingleOrDefault(l => l.StartsWith("LIST", StringComparison.Ordinal))?.TrimEnd() ?? $"no listing in:\n{log}";
    }

    private JObject Artifact(string name) => new() { ["taskId"] = fixture.ProducerId, ["artifact"] = name };

    private static JObject Mount(string kind, string path, JObject content, string? format = null)
    {
        var mount = new JObject { [kind] = path, ["content"] = content };
        if (format is not null)
        {
            mount["format"] = format;
        }

        return mount;
    }

    /// <summary>A zip archive made in memory whose entries have the given names, as base64.</summary>
    private static string ZipBase64(params string[] names)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var name in names)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write("x");
            }
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    private static string Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    private Task<string> CreateAsync(JArray mounts, string script, string[] scopes, bool depend = true, string[]? after = null, int[]? purgeCodes = null, int maxRunTime = 60)
    {
        var payload = new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", script) },
            ["mounts"] = mounts,
            ["maxRunTime"] = maxRunTime,
        };
        if (purgeCodes is not null)
        {
            payload["onExitStatus"] = new JObject { ["purgeCaches"] = new JArray(purgeCodes) };
        }

        return Deployment.CreateTaskAsync(payload, task =>
        {
            task["scopes"] = new JArray(scopes);
            task["dependencies"] = new JArray(after ?? (depend ? [fixture.ProducerId] : []));
            task["requires"] = "all-resolved";
        });
    }

    private async Task RunWorkerAsync(int tasks, int capacity = 1, bool createUser = false, JObject? config = null)
    {
        if (createUser)
        {
            // Task users pass through the test's temporary folder to their task directories.
            File.SetUnixFileMode(Deployment.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        using var lifetime = new WorkerLifetime();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stop = timeout.Token.Register(lifetime.StopNow);
        await Deployment.RunWorkerAsync(config ?? fixture.Config(tasks, capacity, createUser), lifetime);
    }
}
