using System.Text.RegularExpressions;

namespace TcWorker.Engines.Docker;

/// <summary>
/// An image name as a task gives it: <c>[registry/]repository[:tag][@sha256:digest]</c>. Without a
/// registry the image comes from Docker Hub; without tag or digest the tag is <c>latest</c>. A digest
/// pins the image: only that exact manifest is used.
/// </summary>
internal sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest) : IImageSource
{
    public const string DockerHub = "docker.io";

    /// <summary>What the daemon is asked for: <c>repository@digest</c> when pinned, else <c>repository:tag</c>.</summary>
    public string Reference => Digest is not null ? $"{Repository}@{Digest}" : $"{Repository}:{Tag ?? "latest"}";

    /// <summary>Parses a name; returns null when it is not one docker accepts.</summary>
    public static ImageReference? TryParse(string name)
    {
        var match = Pattern().Match(name);
        if (!match.Success)
        {
            return null;
        }

        var repository = match.Groups["repo"].Value;
        var first = repository.Split('/')[0];
        var registry = repository.Contains('/', StringComparison.Ordinal) && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            ? first
            : DockerHub;
        return new ImageReference(
            registry,
            repository,
            match.Groups["tag"].Success ? match.Groups["tag"].Value : null,
            match.Groups["digest"].Success ? match.Groups["digest"].Value : null);
    }

    public override string ToString() => Digest is not null && Tag is not null ? $"{Repository}:{Tag}@{Digest}" : Reference;

    // Docker's grammar, simplified: lowercase path components (an optional host[:port] first), an
    // optional tag, an optional sha256 digest.
    [GeneratedRegex(@"^(?<repo>(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$")]
    private static partial Regex Pattern();
}
