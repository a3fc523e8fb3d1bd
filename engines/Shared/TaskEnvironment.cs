using System.Text.RegularExpressions;
using TcWorker.Errors;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The environment of a task, built from scratch: the engine's defaults (which plugins may
/// override), the variables plugins set, and the variables the engine forces. Nothing is inherited
/// from the worker, so its variables are not handed to a task; a task running as the worker's own
/// user may still read them under /proc, so this is no barrier on its own. Thread-safe.
/// </summary>
internal sealed partial class TaskEnvironment
{
    private readonly Dictionary<string, string> variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> defaults;
    private readonly Dictionary<string, string> forced;

    public TaskEnvironment(IReadOnlyDictionary<string, string> defaults, IReadOnlyDictionary<string, string> forced)
    {
        this.defaults = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
        this.forced = new Dictionary<string, string>(forced, StringComparer.Ordinal);
    }

    /// <summary>The PATH every task starts with, unless a plugin sets another.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public void Set(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!NamePattern().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid environment variable name (letters, digits and '_', not starting with a digit).");
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new MalformedPayloadException($"The value of the environment variable '{name}' contains a NUL character.");
        }

        lock (variables)
        {
            if (forced.ContainsKey(name) || !variables.TryAdd(name, value))
            {
                throw new NamingConflictException("environment variable", name);
            }
        }
    }

    /// <summary>The complete environment: defaults, then what plugins set, then the forced variables.</summary>
    public Dictionary<string, string> Build()
    {
        var result = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
        lock (variables)
        {
            foreach (var (name, value) in variables)
            {
                result[name] = value;
            }
        }

        foreach (var (name, value) in forced)
        {
            result[name] = value;
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();
}
