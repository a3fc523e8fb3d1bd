using TcWorker.Errors;
using TcWorker.Shared;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>
/// The worker's ed25519 signing key, read from a file that holds the base64 of its 32-byte seed (generic-worker's
/// format, so that keys interoperate). The file is read once, when the worker starts.
/// </summary>
internal sealed class SigningKey
{
    private readonly byte[] seed;

    private SigningKey(byte[] seed, string path)
    {
        this.seed = seed;
        Path = path;
    }

    /// <summary>Where the key was read from.</summary>
    public string Path { get; }

    /// <summary>Reads the key; throws <see cref="ConfigurationException"/> naming the setting and the file when it cannot.</summary>
    public static SigningKey Load(string path, string setting)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{setting}: cannot read the chain of trust signing key '{path}': {e.Message}", e);
        }

        try
        {
            return new SigningKey(Ed25519KeyFile.ParseSeed(text), path);
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{setting}: the chain of trust signing key '{path}' is not a key: {e.Message}", e);
        }
    }

    /// <summary>The 64-byte ed25519 signature of the data.</summary>
    public byte[] Sign(byte[] data) => Ed25519KeyFile.Sign(seed, data);
}
