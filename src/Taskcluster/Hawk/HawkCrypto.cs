using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TcWorker.Taskcluster.Hawk;

/// <summary>The Hawk 1 computations (mozilla/hawk <c>lib/crypto.js</c>), SHA-256 only.</summary>
public static class HawkCrypto
{
    /// <summary>The normalized string that is MACed.</summary>
    /// <param name="type"><c>header</c>, <c>bewit</c> or <c>response</c>.</param>
    /// <param name="ts">Timestamp in seconds (for a bewit: its expiry).</param>
    /// <param name="nonce">The nonce (empty for a bewit).</param>
    /// <param name="method">HTTP method; upper-cased.</param>
    /// <param name="resource">The raw path and query exactly as sent.</param>
    /// <param name="host">The host; lower-cased.</param>
    /// <param name="port">The port.</param>
    /// <param name="hash">The payload hash, or null.</param>
    /// <param name="ext">The ext attribute, or null.</param>
    public static string NormalizedString(string type, long ts, string nonce, string method, string resource, string host, int port, string? hash, string? ext)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(host);
        var text = new StringBuilder()
            .Append("hawk.1.").Append(type).Append('\n')
            .Append(ts.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(nonce).Append('\n')
            .Append(method.ToUpperInvariant()).Append('\n')
            .Append(resource).Append('\n')
            .Append(host.ToLowerInvariant()).Append('\n')
            .Append(port.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(hash).Append('\n');
        if (!string.IsNullOrEmpty(ext))
        {
            // JavaScript's String.replace with a string pattern replaces the first match only.
            text.Append(ReplaceFirst(ReplaceFirst(ext, "\\", "\\\\"), "\n", "\\n"));
        }

        return text.Append('\n').ToString();
    }

    /// <summary>The MAC: standard base64 of HMAC-SHA256 keyed with the UTF-8 bytes of <paramref name="key"/>.</summary>
    public static string Mac(string key, string normalizedString)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(normalizedString);
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(normalizedString)));
    }

    /// <summary>
    /// The payload hash: base64 SHA-256 of <c>hawk.1.payload\n&lt;content type&gt;\n&lt;body&gt;\n</c>,
    /// the content type lower-cased and without parameters.
    /// </summary>
    public static string PayloadHash(string? contentType, ReadOnlySpan<byte> payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("hawk.1.payload\n" + NormalizeContentType(contentType) + "\n"));
        hash.AppendData(payload);
        hash.AppendData("\n"u8);
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>Constant-time comparison of two MACs or hashes.</summary>
    public static bool FixedTimeEquals(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
    }

    internal static string NormalizeContentType(string? contentType) =>
        contentType is null ? string.Empty : contentType.Split(';')[0].Trim().ToLowerInvariant();

    internal static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[6];
        RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }

    private static string ReplaceFirst(string text, string pattern, string replacement)
    {
        var index = text.IndexOf(pattern, StringComparison.Ordinal);
        return index < 0 ? text : string.Concat(text.AsSpan(0, index), replacement, text.AsSpan(index + pattern.Length));
    }
}
