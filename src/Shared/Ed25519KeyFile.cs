using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace TcWorker.Shared;

/// <summary>
/// Chain-of-trust ed25519 keys in generic-worker's key file format: the file holds the base64 of the 32-byte seed
/// (surrounding white space is ignored), and public keys are passed around as the base64 of their 32 bytes.
/// Compiled into each package that needs it (the chainoftrust plugin and the <c>tc-worker</c> binary); BouncyCastle,
/// since .NET's own cryptography has no ed25519.
/// </summary>
internal static class Ed25519KeyFile
{
    /// <summary>The length of a seed, of a public key, and half the length of a signature.</summary>
    public const int KeyLength = 32;

    /// <summary>The length of a signature.</summary>
    public const int SignatureLength = 64;

    /// <summary>The seed a key file's text holds; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static byte[] ParseSeed(string text)
    {
        var seed = FromBase64(text, "the base64 of a 32-byte ed25519 seed");
        return seed.Length == KeyLength
            ? seed
            : throw new FormatException($"it holds {seed.Length} bytes; an ed25519 seed has {KeyLength}");
    }

    /// <summary>A public key given as base64; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static byte[] ParsePublicKey(string text)
    {
        var key = FromBase64(text, "the base64 of a 32-byte ed25519 public key");
        return key.Length == KeyLength
            ? key
            : throw new FormatException($"it holds {key.Length} bytes; an ed25519 public key has {KeyLength}");
    }

    /// <summary>A new random seed.</summary>
    public static byte[] NewSeed()
    {
        var seed = new byte[KeyLength];
        new SecureRandom().NextBytes(seed);
        return seed;
    }

    /// <summary>The public key of a seed.</summary>
    public static byte[] PublicKey(byte[] seed) => new Ed25519PrivateKeyParameters(seed, 0).GeneratePublicKey().GetEncoded();

    /// <summary>The 64-byte signature of the data.</summary>
    public static byte[] Sign(byte[] seed, byte[] data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        signer.BlockUpdate(data, 0, data.Length);
        return signer.GenerateSignature();
    }

    /// <summary>Whether the signature is the public key's over the data.</summary>
    public static bool Verify(byte[] publicKey, byte[] data, byte[] signature)
    {
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.BlockUpdate(data, 0, data.Length);
        return verifier.VerifySignature(signature);
    }

    private static byte[] FromBase64(string text, string expected)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException e)
        {
            throw new FormatException($"it is not base64 (it must hold {expected})", e);
        }
    }
}
