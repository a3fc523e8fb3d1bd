using System.Diagnostics;
using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>
/// The Docker daemon the tests use (DOCKER_HOST, else /var/run/docker.sock) and a busybox image built
/// offline on it once per run (a busybox-static root file system through <c>docker import</c>). Without
/// a daemon the tests skip with the reason, except in CI (CI=true), where they fail.
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    public const string ImageRepository = "tcw-test/busybox";
    public const string ImageTag = "1";
    public const string Image = ImageRepository + ":" + ImageTag;
    public const string DefaultCommandOutput = "tcw-default-command";

    public static string Endpoint => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The fixture of the running test collection, for test classes that cannot take it in their constructor.</summary>
    public static DockerDaemon? Current { get; private set; }

    /// <summary>Why the daemon tests skip; null when the daemon answers (in CI a missing daemon fails them instead).</summary>
    public string? SkipReason { get; private set; }

    /// <summary>A client of the test daemon; null while skipping.</summary>
    public DockerClient? Client { get; private set; }

    public DockerClient RequiredClient => Client ?? throw new InvalidOperationException(SkipReason);

    public async Task InitializeAsync()
    {
        Current = this;
        var client = new DockerClientBuilder().WithEndpoint(new Uri(Endpoint)).Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.System.PingAsync(timeout.Token);
        }
        catch (Exception e)
        {
            client.Dispose();
            var reason = $"no Docker daemon answers at {Endpoint} ({e.Message}); ./test.sh starts one";
            if (InCi)
            {
                throw new InvalidOperationException("CI=true and " + reason);
            }

            SkipReason = reason;
            return;
        }

        Client = client;
        await ImportBusyboxAsync(client, ImageRepository, ImageTag);
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Imports a busybox-static root file system as an image whose default command prints <paramref name="output"/>; a no-op when it exists.</summary>
    public static async Task ImportBusyboxAsync(DockerClient client, string repository, string tag, string output = DefaultCommandOutput)
    {
        try
        {
            await client.Images.InspectImageAsync($"{repository}:{tag}");
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }

        using var rootfs = new MemoryStream();
        await using (var writer = new TarWriter(rootfs, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var folder in new[] { "bin/", "tmp/", "etc/", "root/" })
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, folder) { Mode = folder == "tmp/" ? (UnixFileMode)0x3ff | UnixFileMode.StickyBit : (UnixFileMode)0x1ed });
            }

            await writer.WriteEntryAsync("/usr/bin/busybox", "bin/busybox");
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "etc/passwd") { DataStream = new MemoryStream("root:x:0:0:root:/root:/bin/sh\n"u8.ToArray()), Mode = (UnixFileMode)0x1a4 });
            // A layer of its own for each output: loading one of these images cannot reuse another's layer.
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "etc/tcw-image") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(output)), Mode = (UnixFileMode)0x1a4 });
            foreach (var applet in await AppletsAsync())
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
            }
        }

        rootfs.Position = 0;
        var parameters = new ImagesCreateParameters
        {
            Repo = repository,
            Tag = tag,
            Changes = [$"CMD [\"sh\", \"-c\", \"echo {output}\"]", "ENV PATH=/bin"],
        };
        await client.Images.CreateImageAsync(parameters, rootfs, null, new Progress<JSONMessage>());
    }

    private static async Task<IEnumerable<string>> AppletsAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/busybox", "--list") { RedirectStandardOutput = true })!;
        var list = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(a => a != "busybox");
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerDaemon>
{
    // One collection: the daemon tests run one after the other, so that a start-up clean-up of one
    // engine never removes the containers of another test's engine with the same identity.
    public const string Name = "docker daemon";
}
