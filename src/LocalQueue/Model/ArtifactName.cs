using TcWorker.LocalQueue.Http;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Model;

/// <summary>
/// Artifact and object names are printable ASCII, as the official schemas say. They become part
/// of scopes the queue signs (<c>object:upload:...:name</c>, <c>object:download:name</c>), where a
/// newline would split one scope into two.
/// </summary>
internal static class ArtifactName
{
    /// <summary>The <c>name</c> URL parameter: 400 InvalidRequestArguments unless valid, as the real services check route parameters.</summary>
    public static void CheckParameter(string name)
    {
        if (!TaskclusterIdentifiers.IsValidArtifactName(name))
        {
            throw QueueError.Arguments($"Invalid request arguments: name {Describe(name)}");
        }
    }

    /// <summary>A name in a request body at <paramref name="path"/>: 400 InputValidationError unless valid.</summary>
    public static void CheckField(string path, string name)
    {
        if (!TaskclusterIdentifiers.IsValidArtifactName(name))
        {
            throw QueueError.Validation($"Schema Validation Failed!\n{path} {Describe(name)}");
        }
    }

    private static string Describe(string name) =>
        $"{TaskclusterIdentifiers.Quote(name)} must be one or more printable ASCII characters (^[\\x20-\\x7e]+$)";
}
