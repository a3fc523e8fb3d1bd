namespace TcWorker.Runtime.Configuration;

/// <summary>
/// The worker config cannot be used. Carries every problem found, each naming where it is (a JSON
/// path, a file, a plugin folder) and what is wrong, so that all can be fixed at once.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The config file, or a description of where the config came from.</param>
    /// <param name="problems">Every problem found, one message each.</param>
    public ConfigException(string source, IReadOnlyList<string> problems)
        : base($"The worker config {source} has {Plural(problems.Count)}:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", problems))
    {
        Source = source;
        Problems = problems;
    }

    /// <summary>The config file, or a description of where the config came from.</summary>
    public new string Source { get; }

    /// <summary>Every problem found, one message each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Plural(int count) => count == 1 ? "a problem" : $"{count} problems";
}
