using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TcWorker.Tests.Shared;

/// <summary>
/// A real S3-compatible server (npm s3rver, installed by test.sh in tests/Shared/s3rver) on a free
/// loopback port, with one bucket, stopped on dispose. Missing node or s3rver skips the test
/// locally and fails it on CI. s3rver does not verify SigV4 signatures, so tests against it prove
/// bytes, keys and headers, not that requests or presigned URLs are signed correctly.
/// </summary>
internal sealed class S3rverProcess : IAsyncDisposable
{
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    private readonly Process process;
    private readonly string folder;

    private S3rverProcess(Process process, string folder, Uri endpoint, string bucket)
    {
        this.process = process;
        this.folder = folder;
        Endpoint = endpoint;
        Bucket = bucket;
    }

    /// <summary>E.g. <c>http://127.0.0.1:41234/</c>; path-style addressing.</summary>
    public Uri Endpoint { get; }

    public string Bucket { get; }

    public static async Task<S3rverProcess> StartAsync(string bucket = "artifacts")
    {
        var dir = Path.Combine(TestFiles.RepoRoot, "tests", "Shared", "s3rver");
        var folder = Directory.CreateTempSubdirectory("tcw-s3rver-").FullName;
        var port = FreePort();
        var process = TestFiles.StartNode(dir, "s3rver", "node_modules/s3rver/bin/s3rver.js",
            "-d", folder, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", bucket);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var endpoint = new Uri($"http://127.0.0.1:{port}/");
        var server = new S3rverProcess(process, folder, endpoint, bucket);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(endpoint, bucket));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (process.HasExited || until.Elapsed > TimeSpan.FromSeconds(20))
            {
                await server.DisposeAsync();
                Assert.Fail($"s3rver did not answer on {endpoint} (exited: {process.HasExited})");
            }

            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
