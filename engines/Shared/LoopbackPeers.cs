using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Who is at the other end of a loopback TCP connection, on Linux: the owner of the client's socket, as
/// the kernel lists it in /proc/net/tcp and /proc/net/tcp6 (the entry whose local address is the
/// connection's remote end and whose remote address is the server's end). Stateless and thread-safe.
/// </summary>
internal static class LoopbackPeers
{
    private const string ItemKey = "TcWorker.LoopbackPeerUid";

    /// <summary>
    /// The owner of the client socket of a request's connection (see <see cref="FindOwner(IPEndPoint, IPEndPoint)"/>),
    /// looked up on the connection's first request and kept with the connection for the next ones.
    /// </summary>
    public static int? FindOwner(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(ItemKey, out var known))
        {
            return (int?)known;
        }

        int? owner = null;
        if (context.Connection.RemoteIpAddress is { } remote && context.Connection.LocalIpAddress is { } local)
        {
            owner = FindOwner(new IPEndPoint(remote, context.Connection.RemotePort), new IPEndPoint(local, context.Connection.LocalPort));
        }

        if (items is not null)
        {
            items[ItemKey] = owner;
        }

        return owner;
    }

    /// <summary>
    /// The user id that owns the client socket of the connection from <paramref name="client"/> to
    /// <paramref name="server"/>, or null when the kernel lists no such socket (the client is gone, the
    /// connection did not come from this network namespace, or this is not Linux).
    /// </summary>
    public static int? FindOwner(IPEndPoint client, IPEndPoint server) =>
        OperatingSystem.IsLinux()
            ? FindOwner("/proc/net/tcp", client, server) ?? FindOwner("/proc/net/tcp6", client, server)
            : null;

    /// <summary>The same, in one table of the format of /proc/net/tcp (a header line, then one socket a line).</summary>
    internal static int? FindOwner(string table, IPEndPoint client, IPEndPoint server)
    {
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadLines(table);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        foreach (var line in lines.Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 7
                && Parse(fields[1]) is { } local && Same(local, client)
                && Parse(fields[2]) is { } remote && Same(remote, server)
                && int.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                return uid;
            }
        }

        return null;
    }

    /// <summary>
    /// An address as the kernel prints it: the address's 32-bit words each in the host's byte order, in hex,
    /// then a colon and the port in hex.
    /// </summary>
    internal static IPEndPoint? Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is not (8 or 32)
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var bytes = new byte[colon / 2];
        for (var word = 0; word < colon / 8; word++)
        {
            if (!uint.TryParse(text.AsSpan(word * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            BitConverter.TryWriteBytes(bytes.AsSpan(word * 4, 4), value);
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }

    private static bool Same(IPEndPoint listed, IPEndPoint wanted) =>
        listed.Port == wanted.Port && Normal(listed.Address).Equals(Normal(wanted.Address));

    private static IPAddress Normal(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
