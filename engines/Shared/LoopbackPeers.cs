using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace TcWorker.Engines.Shared;

/// <summary>
/// Who is at the other end of a loopback TCP connection, on Linux: the owner of the client's socket (the
/// socket whose local address is the connection's remote end and whose remote address is the server's
/// end). The kernel is asked for that one socket over netlink (sock_diag, as <c>ss</c> does), and where
/// that fails the socket is looked for in /proc/net/tcp and /proc/net/tcp6, which list every socket of
/// the host and so cost time in proportion to them. Stateless and thread-safe.
/// </summary>
internal static partial class LoopbackPeers
{
    private const string ItemKey = "TcWorker.LoopbackPeerUid";

    // Linux's netlink and sock_diag constants and layouts (linux/netlink.h, linux/inet_diag.h).
    private const int NetlinkFamily = 16;
    private const int DatagramCloseOnExec = 2 | 0x80000;
    private const int SockDiagProtocol = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NetlinkRequest = 1;
    private const ushort NetlinkError = 2;
    private const int DontWait = 0x40;
    private const int NoSuchEntry = -2;
    private const int HeaderLength = 16;
    private const int RequestLength = HeaderLength + 56;
    private const int UidOffset = HeaderLength + 64;

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
    public static int? FindOwner(IPEndPoint client, IPEndPoint server)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return AskKernel(client, server, out var owner)
            ? owner
            : FindOwner("/proc/net/tcp", client, server) ?? FindOwner("/proc/net/tcp6", client, server);
    }

    /// <summary>Asks sock_diag for the TCP socket whose local end is <paramref name="client"/> and remote end <paramref name="server"/>.</summary>
    /// <returns>Whether the kernel answered (<paramref name="owner"/> is then its uid, or null when there is no such socket).</returns>
    internal static bool AskKernel(IPEndPoint client, IPEndPoint server, out int? owner)
    {
        owner = null;
        var local = Normal(client.Address);
        var remote = Normal(server.Address);
        if (local.AddressFamily != remote.AddressFamily)
        {
            return false;
        }

        var fd = SysSocket(NetlinkFamily, DatagramCloseOnExec, SockDiagProtocol);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            Span<byte> request = stackalloc byte[RequestLength];
            request.Clear();
            // nlmsghdr: length, type, flags, sequence, port id (host byte order).
            BitConverter.TryWriteBytes(request, RequestLength);
            BitConverter.TryWriteBytes(request[4..], SockDiagByFamily);
            BitConverter.TryWriteBytes(request[6..], NetlinkRequest);
            BitConverter.TryWriteBytes(request[8..], 1);
            // inet_diag_req_v2: family, protocol (TCP), extensions, pad, states (all).
            request[16] = (byte)(local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 2 : 10);
            request[17] = 6;
            BitConverter.TryWriteBytes(request[20..], uint.MaxValue);
            // inet_diag_sockid: ports and addresses in network byte order, no interface, no cookie.
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(request[24..], (ushort)client.Port);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(request[26..], (ushort)server.Port);
            local.TryWriteBytes(request[28..44], out _);
            remote.TryWriteBytes(request[44..60], out _);
            request[64..72].Fill(0xFF);
            if (SysSend(fd, ref request[0], RequestLength, 0) != RequestLength)
            {
                return false;
            }

            Span<byte> reply = stackalloc byte[512];
            var length = (int)SysReceive(fd, ref reply[0], reply.Length, DontWait);
            if (length < HeaderLength + 4)
            {
                return false;
            }

            var type = BitConverter.ToUInt16(reply[4..]);
            if (type == NetlinkError)
            {
                // ENOENT: the kernel has no such socket. Any other error: the kernel did not tell.
                return BitConverter.ToInt32(reply[HeaderLength..]) == NoSuchEntry;
            }

            if (type != SockDiagByFamily || length < UidOffset + 4)
            {
                return false;
            }

            owner = (int)BitConverter.ToUInt32(reply[UidOffset..]);
            return true;
        }
        finally
        {
            _ = SysClose(fd);
        }
    }

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

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SysSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SysSend(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint SysReceive(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int SysClose(int fd);
}
