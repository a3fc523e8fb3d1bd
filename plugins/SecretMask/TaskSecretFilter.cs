using System.Buffers;
using System.Text;
using TcWorker.Tasks;

namespace TcWorker.Plugins.SecretMask;

/// <summary>
/// The masking filter of one task log: the secrets known when the task starts, the run's current
/// credentials (followed across reclaims), and the values the task registers with
/// <c>::add-mask::VALUE</c> lines.
/// </summary>
/// <remarks>
/// <para>
/// Two stages. The first finds command lines: a line that starts with <c>::add-mask::</c> is held
/// until its newline (at most <see cref="MaxCommandValueBytes"/> bytes of value) and never passed on;
/// every other byte goes straight to the second stage, the SDK's <see cref="SecretMasker"/> filter.
/// A new secret rebuilds the masker; the bytes the old filter held are fed to the new one, so a
/// secret split across writes is still found.
/// </para>
/// <para>
/// Every secret is masked whole, and each of its lines on its own (a task may print a multi-line
/// value line by line). A secret longer than <see cref="MaxSecretBytes"/> is masked as overlapping
/// pieces of that length, which together cover every occurrence of it, so the hold-back stays bounded.
/// </para>
/// </remarks>
internal sealed class TaskSecretFilter : ILogFilter
{
    /// <summary>The longest piece of a secret the masker matches; longer secrets are masked in pieces.</summary>
    public const int MaxSecretBytes = 4096;

    /// <summary>The longest value an <c>::add-mask::</c> line may carry; a longer line is dropped.</summary>
    public const int MaxCommandValueBytes = 64 * 1024;

    private static readonly byte[] Command = "::add-mask::"u8.ToArray();
    private static readonly byte[] Registered = "::add-mask::***\n"u8.ToArray();
    private static readonly byte[] TooLong = Encoding.UTF8.GetBytes(
        $"::add-mask:: refused: the value is longer than {MaxCommandValueBytes} bytes; the line was dropped\n");

    private readonly Func<TaskCredentials?> credentials;
    private readonly List<byte[]> secrets = [];
    private readonly HashSet<string> known = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> scratch = new();
    private readonly byte[] line = new byte[Command.Length + MaxCommandValueBytes];
    private TaskCredentials? seen;
    private ILogFilter inner;
    private int lineCount;
    private bool atLineStart = true;
    private bool discarding;

    /// <summary>Creates the filter of one task log.</summary>
    /// <param name="initial">Secrets known at the start; empty ones are ignored.</param>
    /// <param name="credentials">Reads the run's current credentials, or <see langword="null"/> when there are none.</param>
    public TaskSecretFilter(IEnumerable<string> initial, Func<TaskCredentials?> credentials)
    {
        this.credentials = credentials;
        foreach (var secret in initial)
        {
            AddSecret(secret);
        }

        inner = Build();
        MaxHoldBack = line.Length + MaxSecretBytes - 1;
    }

    /// <inheritdoc />
    public int MaxHoldBack { get; }

    /// <inheritdoc />
    public int HeldBack => lineCount + inner.HeldBack;

    /// <inheritdoc />
    public void Transform(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        FollowCredentials(output);
        while (!input.IsEmpty)
        {
            if (discarding)
            {
                var end = input.IndexOf((byte)'\n');
                if (end < 0)
                {
                    return;
                }

                input = input[(end + 1)..];
                discarding = false;
                atLineStart = true;
            }
            else if (atLineStart)
            {
                input = ReadCommand(input, output);
            }
            else
            {
                // Only a line that starts with ':' may be a command: pass everything before it on at once.
                var next = input.IndexOf("\n:"u8);
                var take = next < 0 ? input.Length : next + 1;
                inner.Transform(input[..take], output);
                atLineStart = input[take - 1] == (byte)'\n';
                input = input[take..];
            }
        }
    }

    /// <inheritdoc />
    public void Flush(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        FollowCredentials(output);
        if (lineCount >= Command.Length)
        {
            // A command cut short by the end of the log still registers its value, which is never shown.
            Register(line.AsSpan(Command.Length, lineCount - Command.Length), output);
        }
        else if (lineCount > 0)
        {
            inner.Transform(line.AsSpan(0, lineCount), output);
        }

        lineCount = 0;
        inner.Flush(output);
    }

    /// <summary>Reads a line start that may be a command; returns the input it did not consume.</summary>
    private ReadOnlySpan<byte> ReadCommand(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        var i = 0;
        while (i < input.Length)
        {
            var b = input[i];
            if (lineCount < Command.Length)
            {
                if (b != Command[lineCount])
                {
                    // Not a command: what was held is ordinary output.
                    inner.Transform(line.AsSpan(0, lineCount), output);
                    lineCount = 0;
                    atLineStart = false;
                    return input[i..];
                }
            }
            else if (b == (byte)'\n')
            {
                Register(line.AsSpan(Command.Length, lineCount - Command.Length), output);
                lineCount = 0;
                return input[(i + 1)..];
            }
            else if (lineCount == line.Length)
            {
                // Too long to register, and never shown: the rest of the line is dropped too.
                lineCount = 0;
                inner.Transform(TooLong, output);
                atLineStart = false;
                discarding = true;
                return input[i..];
            }

            line[lineCount++] = b;
            i++;
        }

        return [];
    }

    /// <summary>Masks a value from now on and writes the command line with the value masked.</summary>
    private void Register(ReadOnlySpan<byte> value, IBufferWriter<byte> output)
    {
        if (!value.IsEmpty && value[^1] == (byte)'\r')
        {
            value = value[..^1];
        }

        if (AddSecret(Encoding.UTF8.GetString(value)))
        {
            Rebuild(output);
        }

        inner.Transform(Registered, output);
    }

    /// <summary>Adds the run's credentials whenever a claim or reclaim replaced them.</summary>
    private void FollowCredentials(IBufferWriter<byte> output)
    {
        var current = credentials();
        if (current is null || ReferenceEquals(current, seen))
        {
            return;
        }

        seen = current;
        var added = AddSecret(current.AccessToken);
        added |= current.Certificate is { } certificate && AddSecret(certificate);
        if (added)
        {
            Rebuild(output);
        }
    }

    /// <summary>Adds a secret, whole and line by line; tells whether anything was new.</summary>
    private bool AddSecret(string secret)
    {
        var added = false;
        foreach (var part in secret.Split('\n').Select(l => l.TrimEnd('\r')).Prepend(secret))
        {
            if (!string.IsNullOrWhiteSpace(part) && known.Add(part))
            {
                AddPieces(Encoding.UTF8.GetBytes(part));
                added = true;
            }
        }

        return added;
    }

    /// <summary>Adds the bytes of a secret, in overlapping pieces of <see cref="MaxSecretBytes"/> when longer.</summary>
    private void AddPieces(byte[] bytes)
    {
        if (bytes.Length <= MaxSecretBytes)
        {
            secrets.Add(bytes);
            return;
        }

        for (var start = 0; ; start += MaxSecretBytes)
        {
            var from = Math.Min(start, bytes.Length - MaxSecretBytes);
            secrets.Add(bytes[from..(from + MaxSecretBytes)]);
            if (from + MaxSecretBytes == bytes.Length)
            {
                return;
            }
        }
    }

    /// <summary>Replaces the masker; what the old one held passes through the new one.</summary>
    private void Rebuild(IBufferWriter<byte> output)
    {
        scratch.Clear();
        inner.Flush(scratch);
        inner = Build();
        inner.Transform(scratch.WrittenSpan, output);
    }

    private ILogFilter Build() => new SecretMasker(secrets, Encoding.UTF8.GetBytes(SecretMasker.DefaultMask)).CreateFilter();
}
