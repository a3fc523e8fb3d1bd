using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The task plugins of one run. Runs one hook on every plugin concurrently, each guarded by the
/// hook timeout, and never calls a plugin again while an earlier hook of it is still running.
/// </summary>
internal sealed class TaskPluginSet
{
    private readonly List<Entry> entries = [];
    private readonly HookGuard guard;

    public TaskPluginSet(HookGuard guard) => this.guard = guard;

    /// <summary>
    /// Creates the task plugins of the engine branch concurrently; a plugin whose own payload keys are
    /// invalid gets a do-nothing task plugin, so it still sees the exception stage.
    /// </summary>
    public async Task<IReadOnlyList<HookFailure>> CreateAsync(
        IReadOnlyList<BranchPlugin> plugins, JObject payload, bool payloadValid, ITaskContext context, ITaskEngine engine, CancellationToken token)
    {
        async Task<(Entry? Entry, HookFailure? Failure)> CreateOneAsync(BranchPlugin plugin)
        {
            var component = Component(plugin.Name);
            var own = plugin.Payload(payload);
            if (!payloadValid && !plugin.IsValid(own))
            {
                return (new Entry(component, NoOpTaskPlugin.Instance), null);
            }

            var result = await guard.RunAsync(
                $"{component} (create)", t => plugin.Plugin.CreateTaskPluginAsync(new TaskPluginOptions { Task = context, Payload = own, Engine = engine }, t), token).ConfigureAwait(false);
            if (result.StillRunning is { } late)
            {
                guard.DisposeWhenDone(late, component);
            }

            return result.Succeeded
                ? (new Entry(component, result.Value ?? NoOpTaskPlugin.Instance), null)
                : (null, new HookFailure(component, "create", result.Error!));
        }

        var creations = plugins.Select(CreateOneAsync).ToArray();
        var created = await Task.WhenAll(creations).ConfigureAwait(false);
        entries.AddRange(created.Select(c => c.Entry).OfType<Entry>());
        return created.Select(c => c.Failure).OfType<HookFailure>().ToArray();
    }

    /// <summary>Runs a hook on every plugin concurrently and returns what failed.</summary>
    public async Task<IReadOnlyList<HookFailure>> RunAsync(string stage, Func<ITaskPlugin, CancellationToken, Task> hook, CancellationToken token)
    {
        var results = await RunAsync(
            stage,
            async (plugin, t) =>
            {
                await hook(plugin, t).ConfigureAwait(false);
                return true;
            },
            token).ConfigureAwait(false);
        return results.Failures;
    }

    /// <summary>Runs a hook that answers on every plugin concurrently: the answers, and what failed.</summary>
    public async Task<(IReadOnlyList<bool> Answers, IReadOnlyList<HookFailure> Failures)> RunAsync(
        string stage, Func<ITaskPlugin, CancellationToken, Task<bool>> hook, CancellationToken token)
    {
        var live = entries.Where(e => e.Busy is null).ToArray();
        var results = await Task.WhenAll(live.Select(e => guard.RunAsync($"{e.Component} ({stage})", t => hook(e.Plugin, t), token))).ConfigureAwait(false);
        var failures = new List<HookFailure>();
        var answers = new List<bool>();
        for (var i = 0; i < live.Length; i++)
        {
            live[i].Busy = results[i].StillRunning;
            if (results[i].Succeeded)
            {
                answers.Add(results[i].Value);
            }
            else
            {
                failures.Add(new HookFailure(live[i].Component, stage, results[i].Error!));
            }
        }

        return (answers, failures);
    }

    /// <summary>Disposes every plugin, in reverse order; a plugin still busy in a hook is disposed when that hook ends.</summary>
    public async Task<IReadOnlyList<HookFailure>> DisposeAsync()
    {
        var failures = new List<HookFailure>();
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var entry = entries[i];
            if (entry.Busy is { } busy)
            {
                guard.DisposeWhenDone(busy.ContinueWith(_ => entry.Plugin, TaskScheduler.Default), entry.Component);
                continue;
            }

            var result = await guard.DisposeAsync(entry.Component, entry.Plugin).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                failures.Add(new HookFailure(entry.Component, "dispose", result.Error!));
            }
        }

        entries.Clear();
        return failures;
    }

    private static string Component(string name) => $"plugin '{name}'";

    private sealed class Entry(string component, ITaskPlugin plugin)
    {
        public string Component { get; } = component;

        public ITaskPlugin Plugin { get; } = plugin;

        /// <summary>A hook that outlived the timeout and still runs; the plugin gets no more calls.</summary>
        public Task? Busy { get; set; }
    }
}
