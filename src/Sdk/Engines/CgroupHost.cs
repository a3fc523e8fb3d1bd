namespace TcWorker.Engines;

/// <summary>The control group hierarchies of this host that containment uses, and the worker's folder in each.</summary>
internal sealed class CgroupHost
{
    private readonly string? freezer;
    private readonly string? pids;
    private readonly string? unified;
    private readonly TimeProvider time;

    private CgroupHost(ProcessContainmentKind kind, string? freezer, string? pids, string? unified, bool limits, TimeProvider time)
    {
        Kind = kind;
        this.freezer = freezer;
        this.pids = pids;
        this.unified = unified;
        Limits = limits;
        this.time = time;
    }

    public ProcessContainmentKind Kind { get; }

    public bool Limits { get; }

    /// <summary>
    /// Finds the hierarchies in /proc/self/mountinfo and creates the worker's folder <paramref name="scope"/> in them.
    /// v1 needs the freezer hierarchy (pids, when mounted, adds the limit); v2 is used when v1's freezer is missing,
    /// or with <paramref name="preferUnified"/>.
    /// </summary>
    /// <returns>The host, or null with the reason in <paramref name="description"/>.</returns>
    public static CgroupHost? Detect(string scope, bool preferUnified, TimeProvider time, out string description)
    {
        string? freezerMount = null, pidsMount = null, unifiedMount = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // "id parent major:minor root mountpoint options [optional...] - fstype source superoptions"
                var separator = line.IndexOf(" - ", StringComparison.Ordinal);
                if (separator < 0)
                {
                    continue;
                }

                var fields = line[..separator].Split(' ');
                var tail = line[(separator + 3)..].Split(' ');
                if (fields.Length < 5 || tail.Length < 3)
                {
                    continue;
                }

                var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                var options = tail[2].Split(',');
                if (tail[0] == "cgroup2")
                {
                    unifiedMount ??= mountPoint;
                }
                else if (tail[0] == "cgroup")
                {
                    freezerMount ??= options.Contains("freezer") ? mountPoint : null;
                    pidsMount ??= options.Contains("pids") ? mountPoint : null;
                }
            }
        }
        catch (IOException e)
        {
            description = "cannot read /proc/self/mountinfo: " + e.Message;
            return null;
        }

        try
        {
            if (freezerMount is not null && !(preferUnified && unifiedMount is not null))
            {
                var freezerFolder = Path.Combine(freezerMount, scope);
                var pidsFolder = pidsMount is null ? null : Path.Combine(pidsMount, scope);
                Directory.CreateDirectory(freezerFolder);
                if (pidsFolder is not null)
                {
                    Directory.CreateDirectory(pidsFolder);
                }

                description = pidsFolder is null
                    ? $"cgroup v1: {freezerFolder} (the pids hierarchy is not mounted: no process limit)"
                    : $"cgroup v1: {freezerFolder} and {pidsFolder}";
                return new CgroupHost(ProcessContainmentKind.CgroupV1, freezerFolder, pidsFolder, null, pidsFolder is not null, time);
            }

            if (unifiedMount is not null)
            {
                var folder = Path.Combine(unifiedMount, scope);
                Directory.CreateDirectory(folder);
                var limits = EnablePids(unifiedMount, scope);
                var killable = File.Exists(Path.Combine(folder, "cgroup.kill")) || File.Exists(Path.Combine(folder, "cgroup.freeze"));
                if (!killable)
                {
                    description = $"cgroup v2 at {unifiedMount} has neither cgroup.kill nor cgroup.freeze (Linux 5.2 or later is needed)";
                    return null;
                }

                description = limits
                    ? $"cgroup v2: {folder}"
                    : $"cgroup v2: {folder} (the pids controller cannot be enabled there: no process limit)";
                return new CgroupHost(ProcessContainmentKind.CgroupV2, null, null, folder, limits, time);
            }
        }
        catch (UnauthorizedAccessException e)
        {
            description = "the control group hierarchies are not writable: the worker must run as root, or be given a delegated hierarchy; " + e.Message.TrimEnd('.');
            return null;
        }
        catch (IOException e)
        {
            description = "cannot create the worker's control group: " + e.Message.TrimEnd('.');
            return null;
        }

        description = "no cgroup v1 freezer hierarchy and no cgroup v2 hierarchy is mounted";
        return null;
    }

    /// <summary>The group <paramref name="name"/> in the worker's folder (not created).</summary>
    public Cgroup Group(string name) => Kind == ProcessContainmentKind.CgroupV1
        ? Cgroup.V1(Path.Combine(freezer!, name), pids is null ? null : Path.Combine(pids, name), time)
        : Cgroup.V2(Path.Combine(unified!, name), Limits, time);

    /// <summary>The names of the groups that exist in the worker's folder.</summary>
    public IEnumerable<string> ExistingGroups()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in new[] { freezer, pids, unified }.OfType<string>())
        {
            if (Directory.Exists(folder))
            {
                names.UnionWith(Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>());
            }
        }

        return names;
    }

    /// <summary>Removes the worker's folders if no group is left in them.</summary>
    public void TryRemoveScope()
    {
        foreach (var folder in new[] { freezer, pids, unified }.OfType<string>())
        {
            try
            {
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                // A group is still there (another engine of this worker uses the folder), or it is gone already.
            }
        }
    }

    /// <summary>Enables the pids controller down to the worker's folder, so that its groups can be limited.</summary>
    private static bool EnablePids(string mount, string scope)
    {
        var folder = mount;
        foreach (var part in scope.Split('/'))
        {
            try
            {
                var control = Path.Combine(folder, "cgroup.subtree_control");
                if (!File.ReadAllText(Path.Combine(folder, "cgroup.controllers")).Split(' ', '\n').Contains("pids"))
                {
                    return false;
                }

                if (!File.ReadAllText(control).Split(' ', '\n').Contains("pids"))
                {
                    File.WriteAllText(control, "+pids");
                }
            }
            catch (IOException)
            {
                // Busy: the folder holds processes itself (the no-internal-processes rule of v2).
                return false;
            }

            folder = Path.Combine(folder, part);
        }

        return true;
    }
}
