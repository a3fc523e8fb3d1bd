using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The folder of an engine's volumes, in the worker's temporary storage: 711, so that a task user can
/// pass through to the one volume folder it is given while it holds it, but list nothing. Volume folders
/// are 700. Ids are unique among the live volumes. Thread-safe.
/// </summary>
/// <remarks>
/// With <see cref="MapsIds"/>, a volume's folder (<see cref="HostVolume.Path"/>) sits in a holder folder of
/// the worker's user (700) and, once a task user first writes to it, belongs on disk to
/// <see cref="RestOwnerId"/>: writable mounts are idmapped (<see cref="IdMappedMounts"/>), so no owner
/// changes on attach or release. The holder keeps every task user out of a volume it is not given, whatever
/// modes a task sets inside.
/// </remarks>
internal sealed partial class VolumeStore
{
    /// <summary>
    /// The user and group id that owns, on disk, what task users write into idmapped volumes: above every
    /// range login.defs, subordinate ids and systemd give out, so that no account or process has it.
    /// </summary>
    public const int RestOwnerId = 2_147_000_000;

    private const int MaxIdLength = 100;
    private readonly ConcurrentDictionary<string, byte> ids = new(StringComparer.Ordinal);

    /// <param name="folder">A new, empty folder of the worker's temporary storage, which the store makes 711.</param>
    /// <param name="mapsIds">Whether writable volumes are given to task users through idmapped mounts.</param>
    public VolumeStore(string folder, bool mapsIds = false)
    {
        Folder = folder;
        MapsIds = mapsIds;
        UnixFiles.SetMode(folder, HostVolume.OwnerFolderMode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    /// <summary>The folder the volumes live in.</summary>
    public string Folder { get; }

    /// <summary>Whether writable volumes are given to task users through idmapped mounts rather than owner changes.</summary>
    public bool MapsIds { get; }

    /// <summary>The JSON schema of a volume's config: the volumes of a process engine take no settings.</summary>
    public static JObject ConfigSchema => new() { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = new JObject() };

    /// <summary>Creates an empty volume.</summary>
    /// <exception cref="MalformedPayloadException">The id is not valid, or the config holds a setting.</exception>
    /// <exception cref="NamingConflictException">A live volume has the id.</exception>
    public HostVolume Create(VolumeOptions options)
    {
        var (id, path) = Reserve(options);
        return new HostVolume(this, id, path);
    }

    /// <summary>Creates a builder for a new volume.</summary>
    /// <exception cref="MalformedPayloadException">The id is not valid, or the config holds a setting.</exception>
    /// <exception cref="NamingConflictException">A live volume has the id.</exception>
    public HostVolumeBuilder CreateBuilder(VolumeOptions options)
    {
        var (id, path) = Reserve(options);
        return new HostVolumeBuilder(new HostVolume(this, id, path));
    }

    /// <summary>Frees the id of a disposed volume.</summary>
    public void Forget(string id) => ids.TryRemove(id, out _);

    private (string Id, string Path) Reserve(VolumeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Config.Properties().FirstOrDefault() is { } setting)
        {
            throw new MalformedPayloadException($"The volume setting '{setting.Name}' is unknown: this engine's volumes take no settings.");
        }

        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var id = options.Id ?? "volume-" + suffix;
        if (id.Length > MaxIdLength || !ValidId().IsMatch(id))
        {
            throw new MalformedPayloadException($"The volume id '{id}' is not valid: use 1 to {MaxIdLength} letters, digits, '.', '_' and '-'.");
        }

        if (!ids.TryAdd(id, 0))
        {
            throw new NamingConflictException("volume", id);
        }

        try
        {
            var path = Path.Combine(Folder, id + "-" + suffix);
            UnixFiles.CreateFolder(path, HostVolume.OwnerFolderMode);
            if (MapsIds)
            {
                path = Path.Combine(path, HostVolume.ContentFolder);
                UnixFiles.CreateFolder(path, HostVolume.OwnerFolderMode);
            }

            return (id, path);
        }
        catch
        {
            Forget(id);
            throw;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ValidId();
}
