using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tests.Tasks.Fakes;

/// <summary>
/// A plugin whose every hook can be scripted to throw or hang (keys: create, build, started,
/// stopped, finished, exception, dispose). Its task plugin answers Stopped with the result's
/// success, as the success plugin does. Records <c>NAME:HOOK</c> events.
/// </summary>
public sealed class ScriptedPlugin(string name, EventLog events, JObject? payloadSchema = null) : IPlugin
{
    public string Name => name;

    public JObject PayloadSchema { get; } = payloadSchema ?? new JObject { ["type"] = "object", ["properties"] = new JObject() };

    public IReadOnlyList<DocSection> Documentation => [];

    public Dictionary<string, Func<CancellationToken, Task>> Hooks { get; } = [];

    public List<JObject> Payloads { get; } = [];

    public ExceptionReason? ExceptionReason { get; private set; }

    public bool? FinishedWith { get; private set; }

    public bool LogClosedAtEnd { get; private set; }

    public ITaskContext? Context { get; private set; }

    public Func<ITaskContext, Task>? OnStartedWithContext { get; set; }

    public async Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        lock (Payloads)
        {
            Payloads.Add(options.Payload);
        }

        Context = options.Task;
        await RunHookAsync("create", cancellationToken);
        return new TaskPlugin(this);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task RunHookAsync(string hook, CancellationToken cancellationToken)
    {
        events.Add($"{name}:{hook}");
        if (Hooks.TryGetValue(hook, out var behaviour))
        {
            await behaviour(cancellationToken);
        }
    }

    private sealed class TaskPlugin(ScriptedPlugin plugin) : ITaskPlugin
    {
        public Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken) => plugin.RunHookAsync("build", cancellationToken);

        public async Task StartedAsync(ISandbox sandbox, CancellationToken cancellationToken)
        {
            await plugin.RunHookAsync("started", cancellationToken);
            if (plugin.OnStartedWithContext is { } started)
            {
                await started(plugin.Context!);
            }
        }

        public async Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
        {
            await plugin.RunHookAsync("stopped", cancellationToken);
            return result.Success;
        }

        public async Task FinishedAsync(bool success, CancellationToken cancellationToken)
        {
            plugin.FinishedWith = success;
            plugin.LogClosedAtEnd = plugin.Context!.Log.IsClosed;
            await plugin.RunHookAsync("finished", cancellationToken);
        }

        public async Task ExceptionAsync(ExceptionReason reason, CancellationToken cancellationToken)
        {
            plugin.ExceptionReason = reason;
            plugin.LogClosedAtEnd = plugin.Context!.Log.IsClosed;
            await plugin.RunHookAsync("exception", cancellationToken);
        }

        public async ValueTask DisposeAsync() => await plugin.RunHookAsync("dispose", CancellationToken.None);
    }
}
