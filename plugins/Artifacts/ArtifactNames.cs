using Newtonsoft.Json;

namespace TcWorker.Plugins.Artifacts;

/// <summary>
/// What Taskcluster accepts as an artifact name: printable ASCII only (its pattern <c>^[\x20-\x7e]+$</c>),
/// and here at most <see cref="MaxLength"/> characters, since every artifact call carries the name in
/// its URL, and servers refuse request lines much longer than 8 KiB.
/// </summary>
internal static class ArtifactNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 8192;

    /// <summary>Why a name is refused, for the task log.</summary>
    public const string Rule = "artifact names hold printable ASCII only (from space to ~), at most 8192 characters";

    private const int QuotedLength = 200;

    public static bool IsValid(string name) => name.Length is > 0 and <= MaxLength && name.All(c => c is >= '\x20' and <= '\x7e');

    /// <summary>The name in double quotes, with control and non-ASCII characters escaped, so that it fits on one log line; a long one is cut, saying its length.</summary>
    public static string Quote(string name) => name.Length <= QuotedLength
        ? JsonConvert.ToString(name, '"', StringEscapeHandling.EscapeNonAscii)
        : JsonConvert.ToString(name[..QuotedLength], '"', StringEscapeHandling.EscapeNonAscii) + $"... ({name.Length} characters)";
}
