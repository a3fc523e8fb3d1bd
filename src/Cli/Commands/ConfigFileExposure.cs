using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Cli.Commands;

/// <summary>
/// Warns when a worker config file holds an access token written into it (not an <c>$env</c>
/// reference) and other local users may read the file.
/// </summary>
internal static class ConfigFileExposure
{
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes one warning line to <paramref name="error"/> when the file exposes a token; otherwise nothing.</summary>
    public static void Warn(string path, bool fromWorkerRunner, TextWriter error)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & ReadableByOthers) == 0 || TokenKey(path, fromWorkerRunner) is not { } key)
        {
            return;
        }

        var octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tc-worker: warning: {path} holds an access token ({key}) and other users can read it (mode {octal}); make it private with: chmod 600 {path}"));
    }

    /// <summary>Where the file holds a literal access token, or null.</summary>
    private static string? TokenKey(string path, bool fromWorkerRunner)
    {
        JObject? document;
        try
        {
            document = JsonDocumentReader.ReadFile(path) as JObject;
        }
        catch (ConfigException)
        {
            return null;
        }

        // worker-runner writes generic-worker's keys, the token at the top level.
        if (fromWorkerRunner && IsLiteral(document?["accessToken"]))
        {
            return "accessToken";
        }

        return IsLiteral((document?["credentials"] as JObject)?["accessToken"]) ? "credentials.accessToken" : null;
    }

    private static bool IsLiteral(JToken? token) => token is JValue { Type: JTokenType.String } value && !string.IsNullOrEmpty((string?)value);
}
