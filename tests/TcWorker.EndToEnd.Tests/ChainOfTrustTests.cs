using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>
/// features.chainOfTrust on the native engine, end to end: the stock plugin signs a certificate of the uploaded
/// artifacts, fetched back from the real local queue and checked with openssl (an independent ed25519).
/// </summary>
public sealed class ChainOfTrustTests : IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly string keys = Directory.CreateTempSubdirectory("tcw-cot-").FullName;

    public void Dispose() => Directory.Delete(keys, recursive: true);

    [SkippableFact]
    public async Task The_certificate_holds_the_sha256_of_each_artifact_and_its_signature_verifies_with_the_public_key()
    {
        var (keyFile, publicKey) = GenerateKey();
        await using var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "printf 'signed content' > out.txt && mkdir -p d/sub && printf 'x' > d/sub/a.bin && echo '{\"extra\": 7, \"taskId\": \"forged\", \"environment\": {\"region\": \"forged\", \"rack\": \"r1\"}}' > chain-of-trust-additional-data.json") },
            ["artifacts"] = JArray.Parse("""[{"type": "file", "path": "out.txt", "name": "public/out.txt"}, {"type": "directory", "path": "d", "name": "public/d"}]"""),
            ["features"] = new JObject { ["chainOfTrust"] = true },
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(Config(deployment, keyFile), lifetime);

        var state = (await deployment.StatusAsync(taskId)).Runs[0].State;
        Assert.True(state == "completed", $"{state}: {(await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body}");
        var certificate = await FetchAsync(deployment, taskId, "public/chain-of-trust.json");
        var signature = await FetchAsync(deployment, taskId, "public/chain-of-trust.json.sig");
        var document = JObject.Parse(Encoding.UTF8.GetString(certificate));

        Assert.Equal(1, (int)document["chainOfTrustVersion"]!);
        Assert.Equal(taskId, (string?)document["taskId"]);
        Assert.Equal(0, (int)document["runId"]!);
        Assert.Equal("e2e", (string?)document["workerGroup"]);
        Assert.StartsWith("worker-", (string?)document["workerId"], StringComparison.Ordinal);
        Assert.Equal(["chainOfTrustVersion", "artifacts", "task", "taskId", "runId", "workerGroup", "workerId", "environment", "extra"], document.Properties().Select(p => p.Name));
        // generic-worker's environment: its keys first (publicIpAddress left out when unknown), then the task's where they do not clash.
        Assert.Equal("""{"privateIpAddress":"","instanceId":"","instanceType":"","region":"test-region","rack":"r1"}""", document["environment"]!.ToString(Newtonsoft.Json.Formatting.None));
        Assert.Equal("sh", (string?)document["task"]?["payload"]?["command"]?[0]?[0]);
        Assert.Equal(7, (int)document["extra"]!);
        var artifacts = (JObject)document["artifacts"]!;
        Assert.Equal(["public/d/sub/a.bin", "public/logs/certified.log", "public/out.txt"], artifacts.Properties().Select(p => p.Name).Order(StringComparer.Ordinal));
        var certifiedLog = await FetchAsync(deployment, taskId, "public/logs/certified.log");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certifiedLog)), (string?)artifacts["public/logs/certified.log"]!["sha256"]);
        Assert.Equal(await FetchAsync(deployment, taskId, "public/logs/live_backing.log"), certifiedLog);
        var uploaded = await FetchAsync(deployment, taskId, "public/out.txt");
        Assert.Equal("signed content", Encoding.UTF8.GetString(uploaded));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(uploaded)), (string?)artifacts["public/out.txt"]!["sha256"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("x"u8)), (string?)artifacts["public/d/sub/a.bin"]!["sha256"]);

        Assert.Equal(64, signature.Length);
        Assert.True(Verifies(publicKey, certificate, signature), "openssl does not verify the certificate's signature");
        var tampered = (byte[])certificate.Clone();
        var at = Encoding.UTF8.GetString(certificate).IndexOf("signed", StringComparison.Ordinal) is var i and >= 0 ? i : certificate.Length / 2;
        tampered[at] ^= 1;
        Assert.False(Verifies(publicKey, tampered, signature), "a tampered certificate verified");
    }

    [SkippableFact]
    public async Task A_key_other_users_can_read_refuses_the_task_and_a_worker_without_the_plugin_refuses_the_feature()
    {
        var (keyFile, _) = GenerateKey();
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        await using var deployment = await Deployment.StartAsync();
        var payload = new JObject { ["command"] = new JArray { new JArray("true") }, ["features"] = new JObject { ["chainOfTrust"] = true } };
        var readable = await deployment.CreateTaskAsync(payload);
        using (var lifetime = new WorkerLifetime())
        {
            await Deployment.RunWorkerAsync(Config(deployment, keyFile), lifetime);
        }

        var withoutPlugin = await deployment.CreateTaskAsync(payload);
        using (var lifetime = new WorkerLifetime())
        {
            await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);
        }

        // A private key, but a task that runs as the worker's own user (the native engine without createUser).
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var sameUser = await deployment.CreateTaskAsync(payload);
        using (var lifetime = new WorkerLifetime())
        {
            await Deployment.RunWorkerAsync(Config(deployment, keyFile, createUser: false), lifetime);
        }

        foreach (var (taskId, expected) in new[] { (readable, "is readable by other users"), (withoutPlugin, "chainOfTrust"), (sameUser, "the task's user could read the signing key, and so forge certificates: the task would run as root") })
        {
            var run = (await deployment.StatusAsync(taskId)).Runs[0];
            Assert.Equal(("exception", "malformed-payload"), (run.State, run.ReasonResolved));
            var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
            Assert.Contains(expected, log, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Additional_data_that_is_not_a_json_object_fails_the_task_with_a_line_saying_so()
    {
        var (keyFile, publicKey) = GenerateKey();
        await using var deployment = await Deployment.StartAsync();
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "echo '[1, 2]' > chain-of-trust-additional-data.json") },
            ["features"] = new JObject { ["chainOfTrust"] = true },
        });
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(Config(deployment, keyFile), lifetime);

        Assert.Equal("failed", (await deployment.StatusAsync(taskId)).Runs[0].State);
        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        Assert.Contains("chain-of-trust-additional-data.json must hold a JSON object", log, StringComparison.Ordinal);
        // The failed run is still certified, without the task's data.
        var certificate = await FetchAsync(deployment, taskId, "public/chain-of-trust.json");
        Assert.True(Verifies(publicKey, certificate, await FetchAsync(deployment, taskId, "public/chain-of-trust.json.sig")), "the failed run's certificate does not verify");
        Assert.Equal(["public/logs/certified.log"], ((JObject)JObject.Parse(Encoding.UTF8.GetString(certificate))["artifacts"]!).Properties().Select(p => p.Name));
    }

    [SkippableFact]
    public async Task A_task_artifact_cannot_take_the_certificates_names()
    {
        var (keyFile, _) = GenerateKey();
        await using var deployment = await Deployment.StartAsync();
        // A file artifact named as the certificate is refused before the task runs.
        var named = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "echo '{}' > forged.json") },
            ["artifacts"] = JArray.Parse("""[{"type": "file", "path": "forged.json", "name": "public/chain-of-trust.json"}]"""),
            ["features"] = new JObject { ["chainOfTrust"] = true },
        });
        // A folder artifact holding a file of that name fails the run, which gets no certificate.
        var folder = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", "mkdir -p out && echo '{}' > out/chain-of-trust.json && echo ok > out/fine.txt") },
            ["artifacts"] = JArray.Parse("""[{"type": "directory", "path": "out", "name": "public"}]"""),
            ["features"] = new JObject { ["chainOfTrust"] = true },
        });
        var config = Config(deployment, keyFile);
        config["worker"]!["numberOfTasksToRun"] = 2;
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(config, lifetime);

        var refused = (await deployment.StatusAsync(named)).Runs[0];
        Assert.Equal(("exception", "malformed-payload"), (refused.State, refused.ReasonResolved));
        Assert.Contains("the artifact name public/chain-of-trust.json is taken by the chain of trust", (await ArtifactTests.FetchAsync(deployment, named, "public/logs/live_backing.log")).Body, StringComparison.Ordinal);

        Assert.Equal("failed", (await deployment.StatusAsync(folder)).Runs[0].State);
        Assert.Contains("whose name public/chain-of-trust.json the chain of trust's own artifacts take", (await ArtifactTests.FetchAsync(deployment, folder, "public/logs/live_backing.log")).Body, StringComparison.Ordinal);
        using var signature = await Http.GetAsync(deployment.Queue.BuildSignedArtifactUrl(folder, 0, "public/chain-of-trust.json.sig", TimeSpan.FromMinutes(5)));
        Assert.Equal(HttpStatusCode.NotFound, signature.StatusCode);
    }

    [SkippableFact]
    public async Task A_missing_key_stops_the_worker_at_start_naming_the_setting_and_the_file()
    {
        await using var deployment = await Deployment.StartAsync();
        var missing = Path.Combine(keys, "no-such-key");
        using var lifetime = new WorkerLifetime();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Deployment.RunWorkerAsync(Config(deployment, missing), lifetime));
        Assert.Contains("ed25519SigningKeyLocation", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A worker with the plugin; by default each task runs as a user of its own, who cannot read the key.</summary>
    private static JObject Config(Deployment deployment, string keyFile, bool createUser = true)
    {
        var config = deployment.Config(tasks: 1);
        config["engines"]!["native"]!["createUser"] = createUser;
        if (createUser)
        {
            PassThrough(deployment);
        }
        config["plugins"]!["chainoftrust"] = new JObject
        {
            ["ed25519SigningKeyLocation"] = keyFile,
            ["environment"] = new JObject { ["region"] = "test-region" },
        };
        return config;
    }

    /// <summary>Lets per-task users pass through the deployment's folder (711) to their own task folders below.</summary>
    internal static void PassThrough(Deployment deployment) =>
        File.SetUnixFileMode(deployment.Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

    private static async Task<byte[]> FetchAsync(Deployment deployment, string taskId, string name)
    {
        using var response = await Http.GetAsync(deployment.Queue.BuildSignedArtifactUrl(taskId, 0, name, TimeSpan.FromMinutes(5)));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: HTTP {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>An ed25519 key made by openssl: the worker's key file (generic-worker's format: base64 of the seed, mode 0600) and openssl's public key file.</summary>
    private (string KeyFile, string PublicKey) GenerateKey()
    {
        var pem = Path.Combine(keys, "key.pem");
        var publicKey = Path.Combine(keys, "public.pem");
        var der = Path.Combine(keys, "key.der");
        OpenSsl("genpkey", "-algorithm", "ed25519", "-out", pem);
        OpenSsl("pkey", "-in", pem, "-pubout", "-out", publicKey);
        OpenSsl("pkey", "-in", pem, "-outform", "DER", "-out", der);
        var seed = File.ReadAllBytes(der)[^32..]; // PKCS#8 for ed25519 ends with the 32-byte seed
        var keyFile = Path.Combine(keys, "signing.key");
        File.WriteAllText(keyFile, Convert.ToBase64String(seed)); // as generic-worker writes it: no newline
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (keyFile, publicKey);
    }

    private bool Verifies(string publicKey, byte[] data, byte[] signature)
    {
        var dataFile = Path.Combine(keys, "data");
        var signatureFile = Path.Combine(keys, "data.sig");
        File.WriteAllBytes(dataFile, data);
        File.WriteAllBytes(signatureFile, signature);
        return OpenSsl(check: false, "pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", dataFile, "-sigfile", signatureFile) == 0;
    }

    private static void OpenSsl(params string[] arguments) => OpenSsl(check: true, arguments);

    private static int OpenSsl(bool check, params string[] arguments)
    {
        Skip.IfNot(File.Exists("/usr/bin/openssl"), "openssl (the independent ed25519 implementation these tests check signatures with) is not installed.");
        var start = new ProcessStartInfo("/usr/bin/openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(!check || process.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed: {error}");
        return process.ExitCode;
    }
}
