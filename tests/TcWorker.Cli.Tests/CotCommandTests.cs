using System.Diagnostics;

namespace TcWorker.Cli.Tests;

/// <summary>
/// <c>tc-worker cot keygen</c> and <c>cot verify</c>, run as the real binary, checked against node's crypto (an
/// independent ed25519): the key file is generic-worker's format (base64 of the seed, nothing else).
/// </summary>
public sealed class CotCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tcw-cot-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public async Task Keygen_writes_a_private_seed_and_prints_the_public_key_node_derives_from_it_and_never_replaces_a_key()
    {
        var keyFile = Path.Combine(folder, "ed25519.key");
        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("cot", "keygen", "--file", keyFile);
        Assert.True(exit == 0, stderr);

        var text = await File.ReadAllTextAsync(keyFile);
        Assert.Equal(32, Convert.FromBase64String(text).Length);
        Assert.Equal(text.Trim(), text); // generic-worker's format: the base64 and nothing else
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
        Assert.Equal(Node("public", text), stdout.Trim());

        var (again, _, againError) = await TcWorkerProcess.RunAsync("cot", "keygen", "--file", keyFile);
        Assert.Equal(73, again);
        Assert.Contains("exists already", againError, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(keyFile));
    }

    [SkippableFact]
    public async Task Verify_accepts_what_node_signed_and_names_what_is_wrong_otherwise()
    {
        // A key as generic-worker writes it, and a certificate signed by node.
        var seed = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());
        var keyFile = Path.Combine(folder, "gw.key");
        await File.WriteAllTextAsync(keyFile, seed + "\n");
        var publicKey = Node("public", seed);
        var certificate = Path.Combine(folder, "chain-of-trust.json");
        await File.WriteAllTextAsync(certificate, """
            {
              "chainOfTrustVersion": 1,
              "artifacts": {"public/a.txt": {"sha256": "00"}, "public/logs/certified.log": {"sha256": "11"}},
              "taskId": "T1", "runId": 0, "workerGroup": "g", "workerId": "w"
            }
            """);
        await File.WriteAllBytesAsync(certificate + ".sig", Convert.FromBase64String(Node("sign", seed, certificate)));

        var (exit, stdout, stderr) = await TcWorkerProcess.RunAsync("cot", "verify", certificate, "--public-key", publicKey);
        Assert.True(exit == 0, stderr);
        Assert.Contains("the signature verifies; task T1 run 0, worker g/w, 2 artifacts", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await TcWorkerProcess.RunAsync("cot", "verify", certificate, "--key-file", keyFile);
        Assert.True(exit == 0, stderr);

        var tampered = Path.Combine(folder, "tampered.json");
        await File.WriteAllTextAsync(tampered, (await File.ReadAllTextAsync(certificate)).Replace("T1", "T2", StringComparison.Ordinal));
        var otherKey = Node("public", Convert.ToBase64String(new byte[32]));
        var truncated = Path.Combine(folder, "short.sig");
        await File.WriteAllBytesAsync(truncated, (await File.ReadAllBytesAsync(certificate + ".sig"))[..63]);
        var version2 = Path.Combine(folder, "v2.json");
        await File.WriteAllTextAsync(version2, """{"chainOfTrustVersion": 2}""");
        await File.WriteAllBytesAsync(version2 + ".sig", Convert.FromBase64String(Node("sign", seed, version2)));
        var cases = new (string[] Args, int Exit, string Message)[]
        {
            (["cot", "verify", tampered, "--signature", certificate + ".sig", "--public-key", publicKey], 65, "does not verify with the public key"),
            (["cot", "verify", certificate, "--public-key", otherKey], 65, "does not verify with the public key"),
            (["cot", "verify", certificate, "--signature", truncated, "--public-key", publicKey], 65, "an ed25519 signature has 64 bytes, this file 63"),
            (["cot", "verify", version2, "--public-key", publicKey], 65, "$.chainOfTrustVersion is 2"),
            (["cot", "verify", tampered, "--public-key", publicKey], 66, "cannot read the signature " + tampered + ".sig"),
            (["cot", "verify", certificate, "--public-key", "not base64!"], 64, "--public-key: it is not base64"),
            (["cot", "verify", certificate, "--public-key", Convert.ToBase64String(new byte[31])], 64, "it holds 31 bytes; an ed25519 public key has 32"),
            (["cot", "verify", certificate], 64, "either --public-key BASE64 or --key-file FILE"),
        };
        foreach (var (args, expectedExit, message) in cases)
        {
            var (code, _, error) = await TcWorkerProcess.RunAsync(args);
            Assert.True(code == expectedExit && error.Contains(message, StringComparison.Ordinal), $"{string.Join(' ', args)}: exit {code}, {error}");
        }
    }

    /// <summary>node's crypto: "public SEED" prints the base64 public key of a base64 seed; "sign SEED FILE" the base64 signature of the file.</summary>
    private static string Node(params string[] args)
    {
        const string Script = """
            const crypto = require('crypto'); const fs = require('fs');
            const [op, seed, file] = process.argv.slice(1);
            const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed.trim(), 'base64')]);
            const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
            const out = op === 'public'
              ? crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32)
              : crypto.sign(null, fs.readFileSync(file), key);
            process.stdout.write(out.toString('base64'));
            """;
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(Script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Skip.If(Environment.GetEnvironmentVariable("CI") != "true", "node (the independent ed25519 these tests check against) is not on PATH: " + e.Message);
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, "node: " + error);
            return output;
        }
    }
}
