using TcWorker.Taskcluster;

namespace TcWorker.Cli.Local;

/// <summary>Downloads a run's uploaded artifacts (s3 and object) into a folder, as a task author fetches them.</summary>
internal static class ArtifactDownloader
{
    public static async Task<IReadOnlyList<string>> DownloadAsync(QueueClient queue, string taskId, int runId, string folder, TextWriter error)
    {
        var saved = new List<string>();
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        // s3 artifacts may be stored gzip-encoded: save what the task wrote, not the encoded form.
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.All });
        await foreach (var artifact in queue.EnumerateArtifactsAsync(taskId, runId).ConfigureAwait(false))
        {
            if (artifact.StorageType is not ("s3" or "object"))
            {
                continue;
            }

            // Artifact names come from tasks: never let one write outside the folder.
            var target = Path.GetFullPath(Path.Combine(root, artifact.Name));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                await error.WriteLineAsync($"tc-worker: not saving the artifact '{artifact.Name}': its name leads outside {root}").ConfigureAwait(false);
                continue;
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var response = await http.GetAsync(queue.BuildSignedArtifactUrl(taskId, runId, artifact.Name, TimeSpan.FromMinutes(15)), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                var content = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    var output = File.Create(target);
                    await using (output.ConfigureAwait(false))
                    {
                        await content.CopyToAsync(output).ConfigureAwait(false);
                    }
                }

                saved.Add(artifact.Name);
            }
            catch (HttpRequestException e)
            {
                await error.WriteLineAsync($"tc-worker: downloading the artifact '{artifact.Name}' failed: {e.Message}").ConfigureAwait(false);
            }
        }

        return saved;
    }
}
