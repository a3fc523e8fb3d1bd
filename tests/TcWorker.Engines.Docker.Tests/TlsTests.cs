using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>A TCP endpoint with TLS: the engine checks the daemon against the configured CA and shows its client certificate.</summary>
[Collection(DockerCollection.Name)]
public sealed class TlsTests(DockerDaemon daemon)
{
    [SkippableFact]
    public async Task A_tls_endpoint_is_reached_with_the_client_certificate_and_refused_without_it()
    {
        Skip.If(daemon.SkipReason is not null, daemon.SkipReason);
        Skip.If(PrivateDaemon.UnavailableReason is not null, PrivateDaemon.UnavailableReason);
        Skip.If(!File.Exists("/usr/bin/openssl"), "openssl is not installed");
        var port = FreePort();
        await using var dockerd = await PrivateDaemon.StartAsync(folder =>
        {
            MakeCertificates(folder);
            return ["-H", $"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", Path.Combine(folder, "ca.pem"), "--tlscert", Path.Combine(folder, "server.pem"), "--tlskey", Path.Combine(folder, "server-key.pem")];
        });
        var endpoint = $"tcp://127.0.0.1:{port}";
        var tls = new JObject { ["caFile"] = Path.Combine(dockerd.Folder, "ca.pem"), ["certFile"] = Path.Combine(dockerd.Folder, "client.pem"), ["keyFile"] = Path.Combine(dockerd.Folder, "client-key.pem") };
        await using (var engine = await EngineFixture.StartAsync(new JObject { ["endpoint"] = endpoint, ["tls"] = tls, ["network"] = "none" }))
        {
            Assert.True((await engine.Engine.CheckHealthAsync()).IsHealthy);
        }

        // Without a client certificate the daemon refuses the handshake: a config error (exit 78), not a daemon still starting.
        await using var refused = await EngineFixture.StartAsync(new JObject { ["endpoint"] = endpoint, ["tls"] = new JObject { ["caFile"] = tls["caFile"] }, ["network"] = "none" }, start: false);
        Assert.Contains("engines.docker.tls", (await Assert.ThrowsAsync<ConfigurationException>(() => refused.Engine.StartAsync())).Message, StringComparison.Ordinal);

        // A daemon whose certificate does not chain to the configured CA is not trusted.
        await using var untrusted = await EngineFixture.StartAsync(new JObject { ["endpoint"] = endpoint, ["tls"] = new JObject { ["caFile"] = Path.Combine(dockerd.Folder, "other-ca.pem"), ["certFile"] = tls["certFile"], ["keyFile"] = tls["keyFile"] }, ["network"] = "none" }, start: false);
        await Assert.ThrowsAsync<ConfigurationException>(() => untrusted.Engine.StartAsync());
    }

    private static void MakeCertificates(string folder)
    {
        void OpenSsl(string arguments)
        {
            using var process = Process.Start(new ProcessStartInfo("openssl", arguments) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"openssl {arguments}: {error}");
        }

        foreach (var ca in new[] { "ca", "other-ca" })
        {
            OpenSsl($"req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN={ca} -keyout {ca}-key.pem -out {ca}.pem");
        }

        File.WriteAllText(Path.Combine(folder, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        File.WriteAllText(Path.Combine(folder, "client.ext"), "extendedKeyUsage=clientAuth\n");
        foreach (var (name, ext) in new[] { ("server", "server.ext"), ("client", "client.ext") })
        {
            OpenSsl($"req -newkey rsa:2048 -nodes -subj /CN={name} -keyout {name}-key.pem -out {name}.csr");
            OpenSsl($"x509 -req -in {name}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 -extfile {ext} -out {name}.pem");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
