using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;

namespace TcWorker.Engines.Script;

/// <summary>
/// Provides the <c>script</c> engine: a configured command receives each task's payload as JSON on
/// stdin, runs in a fresh directory, and reports the outcome by its exit code (0 success, 1 failure,
/// 2 malformed payload, 3 internal error, 4 fatal error). Files it leaves in <c>./artifacts</c> can
/// be uploaded as artifacts.
/// </summary>
public sealed class ScriptEngineProvider : IEngineProvider
{
    /// <inheritdoc />
    public string Name => "script";

    /// <inheritdoc />
    public JObject ConfigSchema => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["required"] = new JArray("command", "schema"),
        ["properties"] = new JObject
        {
            ["command"] = new JObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["items"] = new JObject { ["type"] = "string" },
                ["description"] = "The script's argv, run without a shell. A relative program path is taken from workingDirectory.",
            },
            ["schema"] = new JObject
            {
                ["type"] = "object",
                ["description"] = "The JSON schema of the payload keys the script takes (an object schema with properties and required).",
            },
            ["workingDirectory"] = new JObject
            {
                ["type"] = "string",
                ["description"] = "The folder a relative program path in command is resolved against; the worker's current directory by default. The script itself always runs in a fresh task directory.",
            },
            [ProcessEngineSettings.GracePeriodKey] = ProcessEngineSettings.GracePeriodSchema,
        },
    };

    /// <inheritdoc />
    public IEngine Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ScriptEngine.Create(options);
    }
}
