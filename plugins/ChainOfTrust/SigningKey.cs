using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using TcWorker.Errors;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>
/// The worker's ed25519 signing key, read from a file that holds the base64 of its 32-byte seed (generic-worker's
/// format, so that keys interoperate). The file is read once, when the worker starts.
/// </summary>
internal sealed class SigningKey
{
    private const int SeedLength = 32;
    private readonly Ed25519PrivateKeyParameters key;

    private SigningKey(Ed25519PrivateKeyParameters key, string path)
    {
        this.key = key;
        Path = path;
        PublicKey = key.GeneratePublicKey().GetEncoded();
    }

    /// <summary>Where the key was read from.</summary>
    public string Path { get; }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

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

        byte[] seed;
        try
        {
            seed = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{setting}: the chain of trust signing key '{path}' is not base64 (it must hold the base64 of a 32-byte ed25519 seed)", e);
        }

        if (seed.Length != SeedLength)
        {
            throw new ConfigurationException($"{setting}: the chain of trust signing key '{path}' holds {seed.Length} bytes; an ed25519 seed has {SeedLength}");
        }

        return new SigningKey(new Ed25519PrivateKeyParameters(seed, 0), path);
    }

    /// <summary>The 64-byte ed25519 signature of the data.</summary>
    public byte[] Sign(byte[] data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(data, 0, data.Length);
        return signer.GenerateSignature();
    }

    /// <summary>Whether the file grants read access to anyone but its owner, so that a task running as another user could read it.</summary>
    public bool IsReadableByOthers()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        var mode = File.GetUnixFileMode(Path);
        return (mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
    }
}
