using System.Buffers;
using System.Text;

namespace TcWorker.Tasks;

/// <summary>
/// Masks literal secrets in a task log. Every byte that lies inside an occurrence of any of the
/// secrets is masked; each run of such bytes (one occurrence, or several that overlap or touch) is
/// replaced by one mask. Everything else passes through byte for byte, invalid UTF-8 included.
/// </summary>
/// <remarks>
/// <para>
/// The secrets are compiled once into a byte-level Aho–Corasick automaton; the masker is immutable
/// and thread-safe, so build it once for a set of secrets and call <see cref="CreateFilter"/> for
/// each task log. A filter scans at memory speed through bytes that cannot start a secret and
/// holds back at most the longest secret's length minus one byte, whatever the length of a line.
/// The automaton takes about <c>4 × (total secret length) × (distinct bytes in the secrets)</c> bytes.
/// </para>
/// <para>
/// Only the literal bytes are masked: a task that prints a secret base64- or URL-encoded shows
/// it, unless those forms are given as secrets too. Very short secrets mask every occurrence of
/// those few bytes, wherever they appear.
/// </para>
/// </remarks>
public sealed class SecretMasker
{
    /// <summary>The mask used when none is given.</summary>
    public const string DefaultMask = "***";

    private readonly int[] classOf = new int[256];

    /// <summary>Compiles the secrets, each masked as its UTF-8 bytes.</summary>
    /// <param name="secrets">The secrets; empty ones are ignored (they mask nothing).</param>
    /// <param name="mask">What replaces each masked run; may be empty to cut secrets out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="secrets"/> or <paramref name="mask"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">One of the secrets is <see langword="null"/>; the message names its index.</exception>
    public SecretMasker(IEnumerable<string> secrets, string mask = DefaultMask)
        : this(Encode(secrets), Encoding.UTF8.GetBytes(mask ?? throw new ArgumentNullException(nameof(mask))))
    {
    }

    /// <summary>Compiles the secrets as raw bytes.</summary>
    /// <param name="secrets">The secrets; empty ones are ignored (they mask nothing).</param>
    /// <param name="mask">What replaces each masked run; may be empty to cut secrets out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="secrets"/> or <paramref name="mask"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">One of the secrets is <see langword="null"/>; the message names its index.</exception>
    public SecretMasker(IEnumerable<byte[]> secrets, byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(mask);
        MaskBytes = (byte[])mask.Clone();
        var patterns = new List<byte[]>();
        var index = 0;
        foreach (var secret in secrets)
        {
            if (secret is null)
            {
                throw new ArgumentException($"Secret {index} is null.", nameof(secrets));
            }

            if (secret.Length > 0)
            {
                patterns.Add(secret);
            }

            index++;
        }

        LongestSecret = patterns.Count == 0 ? 0 : patterns.Max(p => p.Length);
        var firstBytes = new HashSet<byte>();
        foreach (var pattern in patterns)
        {
            firstBytes.Add(pattern[0]);
            foreach (var b in pattern)
            {
                if (classOf[b] == 0)
                {
                    classOf[b] = ++Classes;
                }
            }
        }

        Classes++;
        Starts = SearchValues.Create([.. firstBytes]);
        (Next, Depth, MatchLength) = Compile(patterns, classOf, Classes);
    }

    /// <summary>The length in bytes of the longest secret; a filter holds back at most one byte less.</summary>
    internal int LongestSecret { get; }

    /// <summary>Creates a filter for one task log; add it with <see cref="ITaskLog.AddFilter"/>.</summary>
    /// <returns>A new filter, with no bytes held back. Not thread-safe, as the contract allows.</returns>
    public ILogFilter CreateFilter() => new SecretMaskFilter(this);

    /// <summary>Masks the secrets in a whole text at once, e.g. an error message bound for another log.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with its secrets masked.</returns>
    public string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new ArrayBufferWriter<byte>();
        var filter = CreateFilter();
        filter.Transform(Encoding.UTF8.GetBytes(text), output);
        filter.Flush(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>What replaces each masked run.</summary>
    internal byte[] MaskBytes { get; }

    /// <summary>The bytes that start a secret.</summary>
    internal SearchValues<byte> Starts { get; }

    /// <summary>The number of byte classes: one per distinct byte of the secrets, and class 0 for every other byte.</summary>
    internal int Classes { get; }

    /// <summary>The automaton's transitions: <c>Next[state * Classes + ClassOf(b)]</c>; state 0 is the start.</summary>
    internal int[] Next { get; }

    /// <summary>Per state: how many of the last input bytes may still be part of a secret.</summary>
    internal int[] Depth { get; }

    /// <summary>Per state: the length of the longest secret that ends here, or 0.</summary>
    internal int[] MatchLength { get; }

    /// <summary>The class of a byte.</summary>
    internal int[] ClassOf => classOf;

    private static IEnumerable<byte[]> Encode(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return secrets.Select(s => s is null ? null! : Encoding.UTF8.GetBytes(s));
    }

    /// <summary>
    /// Builds the trie of the secrets over byte classes, then turns it into a complete automaton
    /// (failure links folded into the transitions) in breadth-first order; each state records its
    /// depth (the longest suffix of the input that may still become a secret) and the longest secret
    /// that ends there.
    /// </summary>
    private static (int[] Next, int[] Depth, int[] MatchLength) Compile(List<byte[]> patterns, int[] classOf, int classes)
    {
        var next = new List<int>(classes);
        var depth = new List<int> { 0 };
        var own = new List<int> { 0 };
        next.AddRange(Enumerable.Repeat(-1, classes));
        foreach (var pattern in patterns)
        {
            var state = 0;
            foreach (var b in pattern)
            {
                var slot = (state * classes) + classOf[b];
                if (next[slot] < 0)
                {
                    next[slot] = depth.Count;
                    depth.Add(depth[state] + 1);
                    own.Add(0);
                    next.AddRange(Enumerable.Repeat(-1, classes));
                }

                state = next[slot];
            }

            own[state] = pattern.Length;
        }

        var table = next.ToArray();
        var matchLength = new int[depth.Count];
        var fail = new int[depth.Count];
        var queue = new Queue<int>();
        for (var c = 0; c < classes; c++)
        {
            var child = table[c];
            if (child < 0)
            {
                table[c] = 0;
            }
            else
            {
                matchLength[child] = own[child];
                queue.Enqueue(child);
            }
        }

        while (queue.TryDequeue(out var state))
        {
            for (var c = 0; c < classes; c++)
            {
                var slot = (state * classes) + c;
                var fallback = table[(fail[state] * classes) + c];
                var child = table[slot];
                if (child < 0)
                {
                    table[slot] = fallback;
                    continue;
                }

                fail[child] = fallback;
                matchLength[child] = Math.Max(own[child], matchLength[fallback]);
                queue.Enqueue(child);
            }
        }

        return (table, [.. depth], matchLength);
    }
}
