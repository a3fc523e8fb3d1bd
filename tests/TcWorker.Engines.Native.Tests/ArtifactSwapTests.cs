using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Plugins.Artifacts;
using TcWorker.Tasks;

namespace TcWorker.Engines.Native.Tests;

/// <summary>
/// A process of the task that outlived it swaps what the worker checked for a symlink leading out,
/// between the listing of a folder and the reading of its files. The worker reads as root: it must
/// refuse, never follow. The swap is made here by the test, at that exact moment.
/// </summary>
public sealed class ArtifactSwapTests() : EngineTestBase(() => new NativeEngineProvider(), () => new JObject { ["killGracePeriodSeconds"] = 0.5 })
{
    private const string Script = "mkdir -p out/sub && echo inside > out/a.txt && echo nested > out/sub/passwd && pwd";

    [SkippableFact]
    public async Task A_listed_file_or_folder_swapped_for_a_symlink_leading_out_is_not_opened()
    {
        Skip.IfNot(HostProcesses.IsRoot, "The swap to /etc/shadow matters when the worker reads as root.");
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell(Script));
        await using (result)
        {
            Assert.True(result.Success);
            var files = new Dictionary<string, SandboxFile>();
            await foreach (var file in result.EnumerateFolderAsync("out"))
            {
                files[file.RelativePath] = file;
            }

            Assert.Equal(["a.txt", "sub/passwd"], files.Keys.Order(StringComparer.Ordinal));
            SwapForLinksOut(TaskDirectory(log));

            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => files["a.txt"].OpenAsync());
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => files["sub/passwd"].OpenAsync());
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("out/a.txt"));
            await Assert.ThrowsAsync<PathEscapesSandboxException>(() => result.OpenFileAsync("out/sub/passwd"));
        }
    }

    [SkippableFact]
    public async Task The_artifacts_plugin_makes_swapped_files_error_artifacts_and_uploads_nothing_from_outside()
    {
        Skip.IfNot(HostProcesses.IsRoot, "The swap to /etc/shadow matters when the worker reads as root.");
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell(Script));
        await using (result)
        {
            var publisher = new RecordingPublisher();
            await using var plugin = new ArtifactsPluginProvider().Create(new PluginOptions { Config = [], Environment = Harness.Environment.Environment, Logger = NullLogger.Instance });
            var payload = JObject.Parse("""{"artifacts": [{"type": "directory", "path": "out", "name": "public/out"}]}""");
            await using var taskPlugin = await plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = new PublishingTaskContext(log, publisher), Payload = payload, Engine = new TcWorker.Runtime.Tasks.TaskEngine("native", Harness.Engine) });

            var success = await taskPlugin.StoppedAsync(new SwapAfterListing(result, () => SwapForLinksOut(TaskDirectory(log))), CancellationToken.None);

            Assert.False(success);
            Assert.Empty(publisher.Uploaded);
            Assert.Equal(ArtifactErrorReason.InvalidResourceOnWorker, publisher.Errors["public/out/a.txt"]);
            Assert.Equal(ArtifactErrorReason.InvalidResourceOnWorker, publisher.Errors["public/out/sub/passwd"]);
            Assert.Contains("leads outside the task directory", log.LogText, StringComparison.Ordinal);
        }
    }

    private static string TaskDirectory(TestTaskContext log) => log.LogText.Split('\n')[1];

    /// <summary>What a surviving process would do: out/a.txt becomes a link to /etc/shadow, out/sub a link to /etc.</summary>
    private static void SwapForLinksOut(string taskDirectory)
    {
        var file = Path.Combine(taskDirectory, "out", "a.txt");
        File.Move(file, file + ".old");
        File.CreateSymbolicLink(file, "/etc/shadow");
        var folder = Path.Combine(taskDirectory, "out", "sub");
        Directory.Move(folder, folder + ".old");
        Directory.CreateSymbolicLink(folder, "/etc");
    }

    /// <summary>A result set that lists the real one, then runs the swap before anyone opens what was listed.</summary>
    private sealed class SwapAfterListing(IResultSet inner, Action swap) : IResultSet
    {
        public bool Success => inner.Success;

        public int? ExitCode => inner.ExitCode;

        public Task<Stream> OpenFileAsync(string path, CancellationToken cancellationToken = default) => inner.OpenFileAsync(path, cancellationToken);

        public async IAsyncEnumerable<SandboxFile> EnumerateFolderAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var listed = new List<SandboxFile>();
            await foreach (var file in inner.EnumerateFolderAsync(path, cancellationToken))
            {
                listed.Add(file);
            }

            swap();
            foreach (var file in listed)
            {
                yield return file;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Keeps what would have been published: each upload's content, each error artifact's reason.</summary>
    private sealed class RecordingPublisher : IArtifactPublisher
    {
        public ConcurrentDictionary<string, string> Uploaded { get; } = new();

        public ConcurrentDictionary<string, ArtifactErrorReason> Errors { get; } = new();

        public async Task UploadAsync(ArtifactUpload artifact, Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken = default)
        {
            await using var content = await openContent(cancellationToken);
            Uploaded[artifact.Name] = await new StreamReader(content).ReadToEndAsync(cancellationToken);
        }

        public Task CreateErrorAsync(string name, ArtifactErrorReason reason, string message, DateTimeOffset? expires = null, CancellationToken cancellationToken = default)
        {
            Errors[name] = reason;
            return Task.CompletedTask;
        }

        public Task CreateReferenceAsync(string name, Uri url, string contentType, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task CreateLinkAsync(string name, string target, DateTimeOffset? expires = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    /// <summary>The test task's context, with a publisher.</summary>
    private sealed class PublishingTaskContext(TestTaskContext inner, IArtifactPublisher artifacts) : ITaskContext
    {
        public string TaskId => inner.TaskId;

        public int RunId => inner.RunId;

        public JObject Task => inner.Task;

        public DateTimeOffset Created => inner.Created;

        public DateTimeOffset Deadline => inner.Deadline;

        public DateTimeOffset Expires => inner.Expires;

        public IReadOnlyList<string> Scopes => inner.Scopes;

        public string RootUrl => inner.RootUrl;

        public ITaskLog Log => inner.Log;

        public CancellationToken Aborted => inner.Aborted;

        public TaskCredentials Credentials => inner.Credentials;

        public IArtifactPublisher Artifacts => artifacts;

        public bool HasScopes(params IReadOnlyList<string>[] scopeSets) => true;
    }
}
