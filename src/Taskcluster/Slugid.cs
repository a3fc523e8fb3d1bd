using System.Security.Cryptography;

namespace TcWorker.Taskcluster;

/// <summary>
/// Taskcluster's slugids: a v4 UUID as 22 characters of URL-safe base64 without padding. The "nice"
/// form (the first bit cleared) never starts with <c>-</c>, so it is safe on command lines.
/// </summary>
public static class Slugid
{
    /// <summary>Makes a new nice slugid, e.g. for a task id.</summary>
    /// <returns>22 characters.</returns>
    public static string Nice()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] &= 0x7f;
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
