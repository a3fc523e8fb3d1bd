using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.SecretMask;

/// <summary>
/// The <c>secretmask</c> plugin: masks, in every task log, the values of the payload's <c>env</c>
/// variables whose names match the configured patterns, the run's temporary credentials, and the
/// values a task registers with a <c>::add-mask::VALUE</c> line.
/// </summary>
public sealed class SecretMaskPluginProvider : IPluginProvider
{
    /// <summary>The name patterns used when the config gives none.</summary>
    public static readonly IReadOnlyList<string> DefaultEnvPatterns = ["*_TOKEN", "*_SECRET", "*PASSWORD*", "*_KEY", "*_CREDENTIALS"];

    /// <inheritdoc />
    public string Name => "secretmask";

    /// <inheritdoc />
    public JObject ConfigSchema => JObject.Parse("""
        {
          "type": "object",
          "properties": {
            "envPatterns": {
              "type": "array",
              "description": "Glob patterns (* and ?, case-insensitive) of payload env variable names whose values are masked. Default: *_TOKEN, *_SECRET, *PASSWORD*, *_KEY, *_CREDENTIALS.",
              "items": { "type": "string", "minLength": 1 }
            }
          },
          "additionalProperties": false
        }
        """);

    /// <inheritdoc />
    public IPlugin Create(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var patterns = options.Config["envPatterns"] is JArray list ? list.Values<string>().OfType<string>().ToArray() : DefaultEnvPatterns;
        return new SecretMaskPlugin(Glob(patterns));
    }

    /// <summary>One case-insensitive regular expression for any of the globs.</summary>
    internal static Regex Glob(IReadOnlyList<string> patterns)
    {
        var alternatives = patterns.Select(p => Regex.Escape(p).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal));
        var expression = patterns.Count == 0 ? "(?!)" : $"^(?:{string.Join('|', alternatives)})$";
        return new Regex(expression, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
