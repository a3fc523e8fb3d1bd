using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Workers;

namespace TcWorker.Plugins.Interactive;

internal sealed class InteractivePlugin(IWebhookServer webhooks, TimeProvider time) : IPlugin
{
    public JObject PayloadSchema => new()
    {
        ["type"] = "object",
        ["properties"] = new JObject
        {
            ["features"] = new JObject
            {
                ["type"] = "object",
                ["properties"] = new JObject
                {
                    ["interactive"] = new JObject
                    {
                        ["type"] = "boolean",
                        ["default"] = false,
                        ["title"] = "Interactive shell",
                        ["description"] = "Lets whoever may read the task's private artifacts open shells in the task while it runs, "
                            + $"through `{InteractivePluginProvider.ArtifactName}` (Taskcluster's shell page). On the native engine a shell runs "
                            + "as the task user in the task directory with the task's environment; on Docker it is `docker exec` into the container.",
                    },
                },
            },
        },
    };

    public IReadOnlyList<DocSection> Documentation => InteractiveDocumentation.Sections;

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Payload["features"]?["interactive"]?.Type != JTokenType.Boolean || !options.Payload["features"]!["interactive"]!.Value<bool>())
        {
            return Task.FromResult<ITaskPlugin>(NotRequested.Instance);
        }

        if (!options.Engine.Capabilities.Supports(EngineFeatures.Shells))
        {
            throw new MalformedPayloadException($"payload.features.interactive: the engine '{options.Engine.Name}' cannot open shells in its tasks; remove the feature or run the task on an engine that can (native on Linux, docker).");
        }

        return Task.FromResult<ITaskPlugin>(new InteractiveTaskPlugin(options.Task, webhooks, time));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class NotRequested : ITaskPlugin
    {
        public static NotRequested Instance { get; } = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
