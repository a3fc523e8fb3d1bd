using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Shared;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Worker;

/// <summary>One open claim as the record keeps it: enough to resolve the run without the worker that claimed it.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="RunId">The run.</param>
/// <param name="TakenUntil">Until when the claim holds (the queue resolves the run claim-expired afterwards).</param>
/// <param name="Credentials">The run's temporary credentials of the moment (they carry the scope to resolve it).</param>
internal sealed record RecordedClaim(string TaskId, int RunId, DateTimeOffset TakenUntil, TaskclusterCredentials Credentials);

/// <summary>
/// The durable record of the worker's open claims, a file in its temporary folder (the folder is locked
/// by the worker that holds it, 711, and the file is 600: the credentials in it are the worker's user's
/// only). Every change rewrites the whole file under a new name and renames it over the old one, so a
/// crash leaves either the old or the new record, never half of one; a record that still cannot be read
/// is reported and ignored. A worker that crashed leaves its record behind, and the next start resolves
/// each claim in it as worker-shutdown, so that the queue reruns the task at once instead of when the
/// claim expires. A change is in the file (safe from a crash of the worker's process) when <see cref="Set"/>
/// or <see cref="Remove"/> returns; a claim reaches the disk (safe from a crash of the machine) when the
/// task of <see cref="Set"/> completes, flushed off the caller's path: one flush at a time, each covering
/// every change written before it. A removal is not flushed of its own: lost in a crash of the machine, it
/// leaves a resolved run in the record, whose resolution at the next start the queue refuses (409).
/// Each claim is serialised once, when it is set. Thread-safe.
/// </summary>
internal sealed class ClaimRecord
{
    /// <summary>The record's file name in the temporary folder; the folder's clean-up at start keeps it.</summary>
    public const string FileName = ".tc-worker-claims";

    private readonly Lock gate = new();
    private readonly Dictionary<(string TaskId, int RunId), string> open = [];
    private readonly SemaphoreSlim flushing = new(1, 1);
    private readonly string path;
    private readonly Func<Func<Task>, Task> startFlush;
    private long written;
    private long flushed;

    /// <summary>Creates an empty record in a folder (nothing is written until the first claim).</summary>
    /// <param name="folder">The worker's temporary folder.</param>
    public ClaimRecord(string folder)
        : this(folder, Task.Run)
    {
    }

    /// <summary>Creates an empty record whose flushes start through <paramref name="startFlush"/> (tests hold them back).</summary>
    /// <param name="folder">The worker's temporary folder.</param>
    /// <param name="startFlush">Starts a flush off the caller's path.</param>
    internal ClaimRecord(string folder, Func<Func<Task>, Task> startFlush)
    {
        path = Path.Combine(folder, FileName);
        this.startFlush = startFlush;
    }

    /// <summary>The record's file.</summary>
    public string FilePath => path;

    /// <summary>
    /// Notes a claim, or its new takenUntil and credentials after a reclaim: written and renamed into place
    /// before this returns; flushed to the disk by the task returned.
    /// </summary>
    /// <returns>Completes once the claim is on the disk; faults with an <see cref="IOException"/> when the flush failed.</returns>
    /// <exception cref="IOException">The record could not be written (the caller goes on: the claim then expires as without a record).</exception>
    public Task Set(RecordedClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var entry = Serialise(claim);
        lock (gate)
        {
            open[(claim.TaskId, claim.RunId)] = entry;
            Write();
            written++;
        }

        return startFlush(FlushAsync);
    }

    /// <summary>Forgets a claim once its run is resolved (or no longer the worker's).</summary>
    /// <exception cref="IOException">The record could not be written.</exception>
    public void Remove(string taskId, int runId)
    {
        lock (gate)
        {
            if (open.Remove((taskId, runId)))
            {
                Write();
            }
        }
    }

    /// <summary>
    /// Reads the record a previous run of the worker left in a folder. A missing file is no claim; a file
    /// that cannot be read or parsed yields no claim and the reason in <paramref name="problem"/>.
    /// </summary>
    /// <param name="folder">The worker's temporary folder.</param>
    /// <param name="problem">Why the record could not be read; null when it could (or there was none).</param>
    /// <returns>The claims recorded.</returns>
    public static IReadOnlyList<RecordedClaim> Read(string folder, out string? problem)
    {
        problem = null;
        var file = Path.Combine(folder, FileName);
        try
        {
            if (!File.Exists(file))
            {
                return [];
            }

            var document = JObject.Parse(File.ReadAllText(file));
            var claims = new List<RecordedClaim>();
            foreach (var entry in document["claims"] as JArray ?? [])
            {
                var credentials = entry["credentials"];
                if (entry.Value<string>("taskId") is not { Length: > 0 } taskId || entry.Value<int?>("runId") is not { } runId
                    || credentials?.Value<string>("clientId") is not { Length: > 0 } clientId || credentials.Value<string>("accessToken") is not { Length: > 0 } accessToken)
                {
                    problem = "an entry lacks its taskId, runId or credentials";
                    continue;
                }

                var takenUntil = entry["takenUntil"]?.ToObject<DateTimeOffset?>() ?? DateTimeOffset.MinValue;
                claims.Add(new RecordedClaim(taskId, runId, takenUntil, new TaskclusterCredentials(clientId, accessToken, credentials.Value<string>("certificate"))));
            }

            return claims;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidCastException or ArgumentException)
        {
            problem = e.Message;
            return [];
        }
    }

    /// <summary>Deletes the record a previous run left (after its claims were resolved, or found unreadable).</summary>
    /// <param name="folder">The worker's temporary folder.</param>
    public static void Forget(string folder)
    {
        File.Delete(Path.Combine(folder, FileName));
        File.Delete(Path.Combine(folder, FileName + ".new"));
    }

    private static string Serialise(RecordedClaim claim) => new JObject
    {
        ["taskId"] = claim.TaskId,
        ["runId"] = claim.RunId,
        ["takenUntil"] = claim.TakenUntil.ToString("O"),
        ["credentials"] = new JObject
        {
            ["clientId"] = claim.Credentials.ClientId,
            ["accessToken"] = claim.Credentials.AccessToken,
            ["certificate"] = claim.Credentials.Certificate,
        },
    }.ToString(Formatting.None);

    private void Write()
    {
        if (open.Count == 0)
        {
            File.Delete(path);
            return;
        }

        var next = path + ".new";
        using (var stream = OwnerOnly.OpenFile(next, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using var writer = new StreamWriter(stream);
            writer.Write("{\"claims\":[");
            writer.Write(string.Join(',', open.Values));
            writer.Write("]}");
        }

        File.Move(next, path, overwrite: true);
    }

    /// <summary>Flushes the record to the disk, unless a flush that began after the caller's change already did.</summary>
    private async Task FlushAsync()
    {
        long target;
        lock (gate)
        {
            target = written;
        }

        await flushing.WaitAsync().ConfigureAwait(false);
        try
        {
            long covered;
            lock (gate)
            {
                if (flushed >= target)
                {
                    return;
                }

                covered = written;
            }

            try
            {
                // The file now in place holds every change up to covered (each is renamed in before it counts).
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                stream.Flush(flushToDisk: true);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Every claim was removed meanwhile: nothing is left to keep.
            }

            lock (gate)
            {
                flushed = Math.Max(flushed, covered);
            }
        }
        finally
        {
            flushing.Release();
        }
    }
}
