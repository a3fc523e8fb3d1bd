using TcWorker.Taskcluster;

namespace TcWorker.Cli.Local;

/// <summary>What a download saved, and how many artifacts it could not or would not save.</summary>
internal sealed record DownloadResult(IReadOnlyList<string> Saved, int NotSaved);

/// <summary>
/// Downloads a run's uploaded artifacts (s3 and object) into a folder, as a task author fetches them.
/// Artifact names come from the queue, so they are untrusted here: a name never leads outside the
/// folder (<c>..</c>, absolute names) nor through a symbolic link already in it. An artifact that
/// cannot or must not be saved is named on the error writer and skipped; the others are saved.
/// </summary>
internal static class ArtifactDownloader
{
    public static async Task<DownloadResult> DownloadAsync(QueueClient queue, string taskId, int runId, string folder, TextWriter error)
    {
        var saved = new List<string>();
        var notSaved = 0;
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

            var problem = TargetOf(root, artifact.Name, out var target)
                ?? await SaveAsync(http, queue.BuildSignedArtifactUrl(taskId, runId, artifact.Name, TimeSpan.FromMinutes(15)), target).ConfigureAwait(false);
            if (problem is null)
            {
                saved.Add(artifact.Name);
            }
            else
            {
                notSaved++;
                await error.WriteLineAsync($"tc-worker: not saving the artifact {Display(artifact.Name)}: {problem}").ConfigureAwait(false);
            }
        }

        return new DownloadResult(saved, notSaved);
    }

    /// <summary>Where an artifact goes, or why it goes nowhere.</summary>
    private static string? TargetOf(string root, string name, out string target)
    {
        target = string.Empty;
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal))
        {
            return "its name is not a valid file name";
        }

        target = Path.GetFullPath(Path.Combine(root, name));
        if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return $"its name leads outside {root}";
        }

        // Links the folder already holds are followed by the file system, wherever they lead.
        for (var path = target; path != root; path = Path.GetDirectoryName(path)!)
        {
            try
            {
                if (new FileInfo(path).LinkTarget is not null)
                {
                    return $"its path goes through a symbolic link in {root}";
                }
            }
            catch (PathTooLongException)
            {
                return TooLong;
            }
        }

        return null;
    }

    /// <summary>Saves the download under a temporary name, then moves it into place; returns the problem, if any.</summary>
    private static async Task<string?> SaveAsync(HttpClient http, Uri url, string target)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".tc-worker-download-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var content = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
                await using (output.ConfigureAwait(false))
                {
                    await content.CopyToAsync(output).ConfigureAwait(false);
                }
            }

            File.Move(temporary, target, overwrite: true);
            return null;
        }
        catch (PathTooLongException)
        {
            return TooLong;
        }
        catch (HttpRequestException e)
        {
            return $"downloading it failed: {e.Message}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"writing it failed: {e.Message}";
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private const string TooLong = "its name is too long for the file system";

    /// <summary>The name in quotes; a very long one shortened to its start and end, with its length.</summary>
    private static string Display(string name) => name.Length <= 100
        ? $"'{name}'"
        : $"'{name[..60]}…{name[^20..]}' ({name.Length} characters)";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was written, or the folder itself is gone.
        }
    }
}
