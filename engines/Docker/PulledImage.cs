using Docker.DotNet;
using Docker.DotNet.Models;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// An image the engine pulled (<paramref name="name"/> is the reference it pulled), tracked by the worker's garbage collector: evicted, least recently
/// used first, when disk runs low. It is in use from the moment a task resolves it until that task's
/// container exists (from then on the daemon itself refuses to delete an image a container uses).
/// Images the engine did not pull (an operator's) are never evicted.
/// </summary>
internal sealed class PulledImage(DockerClient client, string id, string name, TimeProvider time) : ICollectableResource
{
    private readonly Lock gate = new();
    private int leases;
    private DateTimeOffset lastUsed = time.GetUtcNow();

    public string Id { get; } = id;

    public string Name { get; } = name;

    /// <summary>True once the collector removed it: the store then tracks the image anew if it comes back.</summary>
    public bool Evicted { get; private set; }

    public DateTimeOffset LastUsed
    {
        get
        {
            lock (gate)
            {
                return lastUsed;
            }
        }
    }

    /// <summary>Marks the image as in use; dispose the lease once the task's container exists (or will not).</summary>
    public IDisposable Lease()
    {
        lock (gate)
        {
            leases++;
            lastUsed = time.GetUtcNow();
        }

        return new Release(this);
    }

    public async Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return (await client.Images.InspectImageAsync(Id, cancellationToken).ConfigureAwait(false)).Size;
        }
        catch (DockerApiException)
        {
            return 0;
        }
    }

    public async Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (leases > 0)
            {
                return false;
            }
        }

        try
        {
            // By the name the engine pulled: other names of the same image (someone else's) stay, and the
            // image goes with its last name.
            await client.Images.DeleteImageAsync(Name, new ImageDeleteParameters { Force = false }, cancellationToken).ConfigureAwait(false);
            Evicted = true;
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            Evicted = true;
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // A container (of a task, or anyone's) still uses it.
            return false;
        }
    }

    private sealed class Release(PulledImage image) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                lock (image.gate)
                {
                    image.leases--;
                }
            }
        }
    }
}
