using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.EndToEnd.Tests.Mounts;

/// <summary>
/// One deployment for the mounts tests: a producer task that made an archive of every format with
/// Debian's tools and published them (public ones, and a private one), an index path to it, and a
/// loopback HTTP server for URL content.
/// </summary>
public sealed class MountsFixture : IAsyncLifetime
{
    public const string IndexPath = "e2e.mounts.latest";
    public const string UrlText = "url text\n";

    /// <summary>Formats of the tree src/: dir/hello.txt ("hello"), tool.sh (755), link -> dir/hello.txt.</summary>
    public static readonly string[] ArchiveFormats = ["tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "tar.lz4", "zip"];

    private const string ProducerScript = """
        set -e
        mkdir -p src/dir out
        printf hello > src/dir/hello.txt
        printf '#!/bin/sh\necho tool\n' > src/tool.sh
        chmod 755 src/tool.sh
        chmod 644 src/dir/hello.txt
        ln -s dir/hello.txt src/link
        tar -C src -cf out/a.tar .
        tar -C src -czf out/a.tar.gz .
        tar -C src -cjf out/a.tar.bz2 .
        tar -C src -cJf out/a.tar.xz .
        tar -C src --zstd -cf out/a.tar.zst .
        tar -C src -cf - . | lz4 -q > out/a.tar.lz4
        (cd src && zip -qry ../out/a.zip .)
        printf 'zstd file\n' | zstd -q > out/file.zst
        cp out/a.tar private.tar
        """;

    private HttpListener? listener;
    private Task? serving;

    internal Deployment Deployment { get; private set; } = null!;

    public string ProducerId { get; private set; } = null!;

    public Uri Url { get; private set; } = null!;

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public async Task InitializeAsync()
    {
        Deployment = await Deployment.StartAsync();
        ProducerId = await Deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("sh", "-c", ProducerScript) },
            ["artifacts"] = JArray.Parse("""
                [
                  {"type": "directory", "path": "out", "name": "public/m"},
                  {"type": "file", "path": "private.tar", "name": "private/p.tar"}
                ]
                """),
        });
        using (var lifetime = new WorkerLifetime())
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        using (timeout.Token.Register(lifetime.StopNow))
        {
            await Deployment.RunWorkerAsync(Config(tasks: 1), lifetime);
        }

        var status = await Deployment.StatusAsync(ProducerId);
        Assert.True(status.Runs[0].State == "completed", "the producer of the test archives failed: " + await LogAsync(ProducerId));
        await Deployment.Client.Index.InsertTaskAsync(IndexPath, new InsertTaskRequest
        {
            TaskId = ProducerId,
            Rank = 0,
            Data = new JObject(),
            Expires = DateTimeOffset.UtcNow.AddDays(1),
        });
        StartServer();
    }

    /// <summary>The worker config: the stock plugins and this one, on the native engine.</summary>
    public JObject Config(int tasks, int capacity = 1, bool createUser = false)
    {
        var config = Deployment.Config(tasks, capacity);
        config["plugins"]!["mounts"] = new JObject();
        config["engines"]!["native"]!["createUser"] = createUser;
        return config;
    }

    public async Task<string> LogAsync(string taskId) => (await ArtifactTests.FetchAsync(Deployment, taskId, "public/logs/live_backing.log")).Body;

    /// <summary>A tar archive made in memory, entry by entry, as base64 for inline content.</summary>
    public static string TarBase64(params TarEntry[] entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    public static PaxTarEntry File(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    public static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    public async Task DisposeAsync()
    {
        listener?.Stop();
        if (serving is not null)
        {
            await serving.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        listener?.Close();
        await Deployment.DisposeAsync();
    }

    private void StartServer()
    {
        var port = FreePort();
        listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Url = new Uri($"http://127.0.0.1:{port}/");
        serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                var context = await listener.GetContextAsync();
                var body = context.Request.Url!.AbsolutePath == "/url.txt" ? Encoding.UTF8.GetBytes(UrlText) : null;
                context.Response.StatusCode = body is null ? 404 : 200;
                if (body is not null)
                {
                    await context.Response.OutputStream.WriteAsync(body);
                }

                context.Response.Close();
            }
        });
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
