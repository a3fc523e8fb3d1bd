using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;

namespace TcWorker.Engines.Native;

/// <summary>
/// Provides the <c>native</c> engine: a task's <c>command</c> (a list of argv arrays, as in
/// generic-worker's POSIX payload) runs as host processes, without a shell, in a fresh task directory.
/// </summary>
public sealed class NativeEngineProvider : IEngineProvider
{
    /// <inheritdoc />
    public string Name => "native";

    /// <inheritdoc />
    public JObject ConfigSchema => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JObject
        {
            ["createUser"] = new JObject
            {
                ["type"] = "boolean",
                ["default"] = false,
                ["description"] = "Run each task as a throwaway OS user (tcw-<random>) that owns the task directory and is deleted afterwards. Requires root. Linux is tested; macOS (dscl) and Windows are untested.",
            },
            [ProcessEngineSettings.GracePeriodKey] = ProcessEngineSettings.GracePeriodSchema,
            [ProcessEngineSettings.MaxProcessesKey] = ProcessEngineSettings.MaxProcessesSchema,
            ["resourceMonitor"] = ResourceMonitorSettings.Schema,
        },
    };

    /// <inheritdoc />
    public IEngine Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return NativeEngine.Create(options);
    }
}
