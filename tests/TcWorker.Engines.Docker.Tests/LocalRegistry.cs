using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>
/// Debian's docker-registry serving on a free loopback port from a temporary folder, with the test
/// busybox image pushed to it as <see cref="Repository"/>:1. The daemon pulls from 127.0.0.1 over
/// plain HTTP (loopback registries are insecure by default). Disposing it stops the registry and
/// deletes its folder.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;

    private LocalRegistry(Process process, string folder, string host, string digest)
    {
        this.process = process;
        this.folder = folder;
        Host = host;
        Digest = digest;
    }

    public string Host { get; }

    public string Repository => Host + "/tcw/busybox";

    /// <summary>The manifest digest of <see cref="Repository"/>:1.</summary>
    public string Digest { get; }

    public static async Task<LocalRegistry> StartAsync(DockerClient client)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-registry-").FullName;
        var port = FreePort();
        var config = Path.Combine(folder, "config.yml");
        await File.WriteAllTextAsync(config, $"version: 0.1\nlog: {{level: error}}\nstorage:\n  filesystem: {{rootdirectory: {folder}/data}}\nhttp:\n  addr: 127.0.0.1:{port}\n");
        var process = Process.Start(new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("docker-registry did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = $"127.0.0.1:{port}";
        try
        {
            await WaitUntilServingAsync(host);
            var repository = host + "/tcw/busybox";
            await client.Images.TagImageAsync(DockerDaemon.Image, new ImageTagParameters { RepositoryName = repository, Tag = "1" });
            await client.Images.PushImageAsync(repository + ":1", new ImagePushParameters { Tag = "1" }, new AuthConfig(), new Progress<JSONMessage>());
            var pushed = await client.Images.InspectImageAsync(repository + ":1");
            var digest = pushed.RepoDigests!.Single(d => d.StartsWith(repository + "@", StringComparison.Ordinal))[(repository.Length + 1)..];
            return new LocalRegistry(process, folder, host, digest);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static async Task WaitUntilServingAsync(string host)
    {
        using var http = new HttpClient();
        for (var i = 0; ; i++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{host}/v2/"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (i < 100)
            {
            }

            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
