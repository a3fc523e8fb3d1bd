using TcWorker.Errors;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// The names of an archive's entries, checked before anything is written: a name must stay inside the
/// target folder (no absolute path, no <c>..</c>), and so must every symbolic link, through the links
/// written before it. Links are followed here as the file system would, without touching it, so a
/// chain of links that each look harmless cannot lead out either. Not thread-safe: one archive at a time.
/// </summary>
internal sealed class ArchivePaths
{
    private const int MaxLinkHops = 40;
    private readonly Dictionary<string, string[]> links = new(StringComparer.Ordinal);

    /// <summary>The entry's path relative to the target, with <c>/</c> separators and its folders resolved through links; empty for the target itself.</summary>
    /// <exception cref="MalformedPayloadException">The name is absolute or leads outside.</exception>
    public string Check(string name)
    {
        var parts = Split(name, name);
        if (parts.Length == 0)
        {
            return string.Empty;
        }

        // Written where the file system would put it: through the links recorded so far.
        return string.Join('/', [.. Resolve(parts[..^1], name, 0), parts[^1]]);
    }

    /// <summary>Records a symbolic link, after checking that it points inside the target.</summary>
    /// <exception cref="MalformedPayloadException">The target is absolute or leads outside.</exception>
    /// <param name="path">The link's path, as <see cref="Check"/> returned it.</param>
    /// <param name="target">What the link points to.</param>
    /// <param name="name">The entry's name in the archive, for the message.</param>
    public void AddLink(string path, string target, string name)
    {
        if (IsAbsolute(target))
        {
            throw Escape(name, $"is a symbolic link to the absolute path '{target}'");
        }

        var parent = path.Split('/')[..^1];
        var resolved = Resolve([.. parent, .. target.Split('/')], name, 0);
        links[path] = resolved;
    }

    /// <summary>Forgets a link replaced by another entry of the same path.</summary>
    public void Remove(string path) => links.Remove(path);

    private static string[] Split(string name, string entry)
    {
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw Escape(entry, "holds a NUL character");
        }

        if (IsAbsolute(name))
        {
            throw Escape(entry, "is an absolute path");
        }

        var parts = name.Split('/').Where(p => p.Length > 0 && p != ".").ToArray();

        // A backslash is a separator on Windows, where "..\\x" leads out: refuse it anywhere.
        return parts.Any(p => p == ".." || p.Split('\\').Contains("..", StringComparer.Ordinal))
            ? throw Escape(entry, "leads outside the target folder with '..'")
            : parts;
    }

    private static bool IsAbsolute(string name) =>
        name.StartsWith('/') || name.StartsWith('\\') || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0]));

    /// <summary>Resolves a path lexically through the links recorded so far; throws when it leaves the target.</summary>
    private string[] Resolve(IEnumerable<string> parts, string entry, int hops)
    {
        var stack = new List<string>();
        foreach (var part in parts)
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count == 0)
                {
                    throw Escape(entry, "leads outside the target folder through a symbolic link");
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            stack.Add(part);
            if (links.TryGetValue(string.Join('/', stack), out var target))
            {
                if (hops >= MaxLinkHops)
                {
                    throw Escape(entry, "goes through too many symbolic links");
                }

                stack = [.. Resolve(target, entry, hops + 1)];
            }
        }

        return [.. stack];
    }

    private static MalformedPayloadException Escape(string entry, string problem) =>
        new($"the archive's entry '{entry}' {problem}: the archive is refused");
}
