using System.Buffers.Text;
using System.Text;

namespace TcWorker.LocalQueue.Http;

/// <summary>
/// The continuationToken of list calls: the key of the last item of the previous page, base64url
/// encoded. Opaque to clients, as the real services' tokens are.
/// </summary>
internal static class ContinuationToken
{
    public static string Encode(string lastKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));

    /// <summary>The key a token carries; 400 InputError for a token this server did not make.</summary>
    public static string Decode(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw QueueError.Input("Invalid continuationToken");
        }
    }
}
