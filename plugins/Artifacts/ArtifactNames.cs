using Newtonsoft.Json;

namespace TcWorker.Plugins.Artifacts;

/// <summary>What Taskcluster accepts as an artifact name: printable ASCII only (its pattern <c>^[\x20-\x7e]+$</c>).</summary>
internal static class ArtifactNames
{
    /// <summary>Why a name is refused, for the task log.</summary>
    public const string Rule = "artifact names hold printable ASCII only (from space to ~)";

    public static bool IsValid(string name) => name.Length > 0 && name.All(c => c is >= '\x20' and <= '\x7e');

    /// <summary>The name in double quotes, with control and non-ASCII characters escaped, so that it fits on one log line.</summary>
    public static string Quote(string name) => JsonConvert.ToString(name, '"', StringEscapeHandling.EscapeNonAscii);
}
