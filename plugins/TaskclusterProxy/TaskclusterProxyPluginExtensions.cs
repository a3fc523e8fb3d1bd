using TcWorker.Plugins.TaskclusterProxy;

// In this namespace so that hosts find AddTaskclusterProxyPlugin without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <c>taskclusterproxy</c> plugin in code.</summary>
public static class TaskclusterProxyPluginExtensions
{
    /// <summary>Registers the <c>taskclusterproxy</c> plugin. Idempotent.</summary>
    /// <param name="builder">The worker builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITcWorkerBuilder AddTaskclusterProxyPlugin(this ITcWorkerBuilder builder) => builder.AddPlugin<TaskclusterProxyPluginProvider>();
}
