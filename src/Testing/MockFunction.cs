using System.Globalization;
using Newtonsoft.Json.Linq;

namespace TcWorker.Testing;

/// <summary>
/// What the mock engine does in a <see cref="PluginHarness"/> run: one of its functions (see the
/// TcWorker.Engines.Mock documentation) with its argument.
/// </summary>
/// <param name="Name">The function, e.g. <c>true</c>, <c>write-log</c>, <c>sleep</c>.</param>
/// <param name="Argument">The function's argument, if it takes one.</param>
public sealed record MockFunction(string Name, string? Argument = null)
{
    /// <summary>Succeeds with exit code 0.</summary>
    public static MockFunction Succeed { get; } = new("true");

    /// <summary>Fails with exit code 1.</summary>
    public static MockFunction Fail { get; } = new("false");

    /// <summary>Ends with <paramref name="exitCode"/> (success when 0).</summary>
    /// <param name="exitCode">The exit code.</param>
    /// <returns>The function.</returns>
    public static MockFunction ExitCode(int exitCode) => new("exit-code", exitCode.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes <paramref name="text"/> and a newline to the task log, then succeeds.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The function.</returns>
    public static MockFunction WriteLog(string text) => new("write-log", text);

    /// <summary>Sleeps, then succeeds; kill and abort end it early.</summary>
    /// <param name="duration">How long.</param>
    /// <returns>The function.</returns>
    public static MockFunction Sleep(TimeSpan duration) => new("sleep", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes the value of the environment variable <paramref name="name"/> to the log; fails when it is unset.</summary>
    /// <param name="name">The variable's name.</param>
    /// <returns>The function.</returns>
    public static MockFunction PrintEnvironmentVariable(string name) => new("print-env", name);

    /// <summary>Adds the function's keys to a copy of <paramref name="payload"/>.</summary>
    /// <param name="payload">The plugin's payload keys.</param>
    /// <returns>The whole task payload.</returns>
    public JObject AddTo(JObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var copy = (JObject)payload.DeepClone();
        copy["function"] = Name;
        if (Argument is not null)
        {
            copy["argument"] = Argument;
        }

        return copy;
    }
}
