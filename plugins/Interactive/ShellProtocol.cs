using System.Buffers.Binary;

namespace TcWorker.Plugins.Interactive;

/// <summary>
/// The wire format of Taskcluster's shell page, version 2 (generic-worker's). The client sends binary
/// messages whose first byte says what they are: <see cref="Stdin"/> followed by the bytes typed, or
/// <see cref="Resize"/> followed by the rows and the columns, each an unsigned 16-bit little-endian
/// integer. The server sends what the terminal prints as plain binary messages, and closes the socket
/// when the shell exits.
/// </summary>
internal static class ShellProtocol
{
    /// <summary>Input for the shell.</summary>
    public const byte Stdin = 1;

    /// <summary>A new terminal size.</summary>
    public const byte Resize = 2;

    /// <summary>The length of a resize message.</summary>
    public const int ResizeLength = 5;

    /// <summary>Makes a resize message.</summary>
    public static byte[] ResizeMessage(int columns, int rows)
    {
        var message = new byte[ResizeLength];
        message[0] = Resize;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(1), (ushort)rows);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(3), (ushort)columns);
        return message;
    }

    /// <summary>Reads a resize message's size.</summary>
    public static (int Columns, int Rows) ReadResize(ReadOnlySpan<byte> message) =>
        (BinaryPrimitives.ReadUInt16LittleEndian(message[3..]), BinaryPrimitives.ReadUInt16LittleEndian(message[1..]));
}
