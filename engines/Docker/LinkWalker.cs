namespace TcWorker.Engines.Docker;

/// <summary>
/// Resolves a relative path through symbolic links known from a listing (not from a live file system),
/// as the kernel would, with one folder as the whole world: <c>..</c> above it, an absolute target
/// elsewhere, or more than 40 links count as leaving it.
/// </summary>
internal static class LinkWalker
{
    private const int MaxLinks = 40;

    /// <param name="relative">The path, relative to the folder, with <c>/</c> separators.</param>
    /// <param name="links">The folder's links: path relative to the folder → target as stored.</param>
    /// <param name="absoluteRoot">The folder's absolute path, for absolute targets that name it; null when every absolute target leaves.</param>
    /// <returns>Whether the path stays inside, and where it leads (relative to the folder).</returns>
    public static (bool Inside, string Path) Resolve(string relative, IReadOnlyDictionary<string, string> links, string? absoluteRoot)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(Split(relative).AsEnumerable().Reverse());
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count == 0)
                {
                    return (false, relative);
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            resolved.Add(part);
            if (!links.TryGetValue(string.Join('/', resolved), out var target))
            {
                continue;
            }

            if (++hops > MaxLinks)
            {
                return (false, relative);
            }

            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/'))
            {
                // Absolute: inside only when it names the folder's own path first.
                var inFolder = absoluteRoot is null ? null
                    : absoluteRoot == "/" ? target
                    : target.StartsWith(absoluteRoot + "/", StringComparison.Ordinal) ? target[absoluteRoot.Length..]
                    : null;
                if (inFolder is null)
                {
                    return (false, relative);
                }

                resolved.Clear();
                target = inFolder;
            }

            foreach (var next in Split(target).AsEnumerable().Reverse())
            {
                pending.Push(next);
            }
        }

        return (true, string.Join('/', resolved));
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
