using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Plugins.Artifacts;
using TcWorker.Runtime.Tasks;
using TcWorker.Tasks;
using TcWorker.Testing;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>The artifacts plugin's payload <c>contentEncoding</c>, up to the artifact publisher.</summary>
public sealed class ArtifactsPluginTests
{
    [Fact]
    public async Task The_payloads_content_encoding_reaches_the_publisher_and_a_directorys_applies_to_each_file()
    {
        var folder = Directory.CreateTempSubdirectory("tcw-artifacts-").FullName;
        try
        {
            var uploads = new ConcurrentDictionary<string, ArtifactUpload>();
            var artifacts = new Mock<IArtifactPublisher>();
            artifacts.Setup(a => a.UploadAsync(It.IsAny<ArtifactUpload>(), It.IsAny<Func<CancellationToken, Task<Stream>>>(), It.IsAny<CancellationToken>()))
                .Callback<ArtifactUpload, Func<CancellationToken, Task<Stream>>, CancellationToken>((upload, _, _) => uploads[upload.Name] = upload)
                .Returns(Task.CompletedTask);
            await using var log = new TaskLog(Path.Combine(folder, "task.log"));
            var task = new Mock<ITaskContext>();
            task.SetupGet(t => t.Log).Returns(log);
            task.SetupGet(t => t.Artifacts).Returns(artifacts.Object);
            task.SetupGet(t => t.Expires).Returns(DateTimeOffset.UtcNow.AddDays(1));
            var storage = new Mock<ITemporaryStorage>();
            storage.SetupGet(s => s.Root).Returns(folder);
            var environment = new Mock<IWorkerEnvironment>();
            environment.SetupGet(e => e.Storage).Returns(storage.Object);
            var result = new Mock<IResultSet>();
            result.Setup(r => r.OpenFileAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(() => new MemoryStream("content\n"u8.ToArray()));
            result.Setup(r => r.EnumerateFolderAsync("raw", It.IsAny<CancellationToken>())).Returns(Files("x.dat", "y.dat"));
            await using var plugin = new ArtifactsPluginProvider().Create(new PluginOptions { Config = [], Environment = environment.Object, Logger = NullLogger.Instance });
            var payload = JObject.Parse("""
                {
                  "artifacts": [
                    {"type": "file", "path": "a.txt", "name": "public/a.txt"},
                    {"type": "file", "path": "b.txt", "name": "public/b.txt", "contentEncoding": "identity"},
                    {"type": "file", "path": "c.bin", "name": "public/c.bin", "contentEncoding": "gzip"},
                    {"type": "directory", "path": "raw", "name": "public/raw", "contentEncoding": "gzip"}
                  ]
                }
                """);
            await using var taskPlugin = await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = task.Object, Payload = payload, Engine = TestTaskEngine.Mock });

            Assert.True(await taskPlugin.StoppedAsync(result.Object, CancellationToken.None));

            Assert.Equal(["public/a.txt", "public/b.txt", "public/c.bin", "public/raw/x.dat", "public/raw/y.dat"], uploads.Keys.Order(StringComparer.Ordinal));
            Assert.Null(uploads["public/a.txt"].ContentEncoding);
            Assert.Equal("text/plain; charset=utf-8", uploads["public/a.txt"].ContentType);
            Assert.Equal("identity", uploads["public/b.txt"].ContentEncoding);
            Assert.Equal("gzip", uploads["public/c.bin"].ContentEncoding);
            Assert.Equal("gzip", uploads["public/raw/x.dat"].ContentEncoding);
            Assert.Equal("gzip", uploads["public/raw/y.dat"].ContentEncoding);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Another_content_encoding_is_a_malformed_payload()
    {
        await using var harness = await PluginHarness.CreateAsync(new ArtifactsPluginProvider());

        (await harness.RunAsync(JObject.Parse("""{ "artifacts": [{"type": "file", "path": "a.txt", "contentEncoding": "br"}] }""")))
            .AssertException(ExceptionReason.MalformedPayload)
            .AssertLogContains("$.artifacts[0].contentEncoding");
    }

    private static async IAsyncEnumerable<SandboxFile> Files(params string[] names)
    {
        foreach (var name in names)
        {
            await Task.Yield();
            yield return new SandboxFile(name, 8, _ => Task.FromResult<Stream>(new MemoryStream("content\n"u8.ToArray())));
        }
    }
}
