using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.EndToEnd.Tests;

/// <summary><c>tc-worker doctor</c>, the real binary against the local queue: one line per check, exit 1 when one fails.</summary>
public sealed class DoctorTests
{
    [Fact]
    public async Task A_good_config_passes_every_check_and_its_public_webhook_url_is_reached_through_the_advertised_address()
    {
        await using var deployment = await Deployment.StartAsync();
        var port = FreePort();
        var config = deployment.Config(tasks: 1);
        config["webhookServer"] = new JObject { ["mode"] = "public", ["listen"] = $"127.0.0.1:{port}", ["advertisedBaseUrl"] = $"http://127.0.0.1:{port}" };

        var (exit, output) = await DoctorAsync(deployment, config);

        Assert.True(exit == 0, output);
        foreach (var check in new[] { "ok   config:", "ok   engine native: started and healthy", "ok   disk:", "ok   clock:", "ok   credentials: client static/e2e-root is valid and may claim from", "ok   webhook server: the advertised URL http://127.0.0.1:" })
        {
            Assert.Contains(check, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("fail", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_credentials_fail_with_a_hint_and_exit_1()
    {
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 1);
        config["credentials"]!["accessToken"] = "not-the-token-0123456789abcdefghijklmnopqrstu";

        var (exit, output) = await DoctorAsync(deployment, config);

        Assert.True(exit == 1, output);
        Assert.Contains("fail credentials: refused for client static/e2e-root", output, StringComparison.Ordinal);
        Assert.Contains("fix: check credentials.clientId and credentials.accessToken", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Temporary_credentials_without_the_claim_scope_fail_naming_the_missing_scope()
    {
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 1);
        var identity = (JObject)config["worker"]!;
        var root = new TaskclusterCredentials(deployment.Options.RootClientId!, deployment.Options.RootAccessToken!);
        var temporary = root.CreateTemporary([$"queue:worker-id:{identity["workerGroup"]}/{identity["workerId"]}"], TimeSpan.FromHours(1));
        config["credentials"] = new JObject { ["clientId"] = temporary.ClientId, ["accessToken"] = temporary.AccessToken, ["certificate"] = temporary.Certificate };

        var (exit, output) = await DoctorAsync(deployment, config);

        Assert.True(exit == 1, output);
        Assert.Contains($"fail credentials: client static/e2e-root is valid but lacks queue:claim-work:{identity["workerPoolId"]}", output, StringComparison.Ordinal);
        Assert.Contains("ok   clock:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_advertised_url_that_leads_nowhere_fails()
    {
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 1);
        config["webhookServer"] = new JObject { ["mode"] = "public", ["listen"] = $"127.0.0.1:{FreePort()}", ["advertisedBaseUrl"] = $"http://127.0.0.1:{FreePort()}" };

        var (exit, output) = await DoctorAsync(deployment, config);

        Assert.True(exit == 1, output);
        Assert.Contains("fail webhook server: the advertised URL http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("is not reachable from this host", output, StringComparison.Ordinal);
        Assert.Contains("ok   credentials:", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> DoctorAsync(Deployment deployment, JObject config)
    {
        var file = Path.Combine(deployment.Folder, "doctor-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        await File.WriteAllTextAsync(file, config.ToString());
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var start = new ProcessStartInfo(Deployment.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "doctor", "--config", file })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        return (process.ExitCode, await stdout + await stderr);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
