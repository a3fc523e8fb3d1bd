using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Mock;
using TcWorker.Plugins;
using TcWorker.Tasks;
using TcWorker.Testing;

namespace TcWorker.Sdk.Tests;

/// <summary>A plugin that masks secrets by adding a filter when its task plugin is created, run as a plugin author would.</summary>
public sealed class MaskingPluginTests
{
    private const string Secret = "s3cr3t-T0ken-4711";

    [Fact]
    public async Task A_filter_added_by_a_plugin_masks_what_the_task_prints_in_the_task_log()
    {
        await using var harness = await PluginHarness.CreateAsync(new MaskingPluginProvider(), new JObject { ["secrets"] = new JArray(Secret) });

        (await harness.RunAsync([], MockFunction.WriteLog($"the token is {Secret}, keep it")))
            .AssertCompleted()
            .AssertLogContains("the token is ***, keep it")
            .AssertLogDoesNotContain(Secret);
    }

    [Fact]
    public async Task A_filter_added_by_a_plugin_masks_the_uploaded_backing_log()
    {
        var harness = new WorkerHarness(
            $"engine: mock\nplugins: {{ {MaskingPluginProvider.PluginName}: {{ secrets: ['{Secret}'] }} }}",
            b => b.AddEngine<MockEngineProvider>().AddPlugin<MaskingPluginProvider>());

        await harness.AssertPassesAsync(new WorkerCase
        {
            Name = "masked",
            Tasks =
            [
                new WorkerCaseTask
                {
                    Name = "prints-a-secret",
                    Payload = $"function: write-log\nargument: 'the token is {Secret}, keep it'",
                    Expect = new TaskExpectation
                    {
                        Resolution = "completed",
                        LogContains = ["the token is ***, keep it"],
                        LogDoesNotContain = [Secret],
                    },
                },
            ],
        });
    }
}

/// <summary>Masks the secrets of its config in every task's log.</summary>
public sealed class MaskingPluginProvider : IPluginProvider
{
    public const string PluginName = "mask-secrets";

    public string Name => PluginName;

    public JObject ConfigSchema => JObject.Parse("""
        { "type": "object", "properties": { "secrets": { "type": "array", "items": { "type": "string" } } } }
        """);

    public IPlugin Create(PluginOptions options) =>
        new MaskingPlugin(new SecretMasker(options.Config["secrets"]?.Values<string>().OfType<string>() ?? []));

    private sealed class MaskingPlugin(SecretMasker masker) : IPlugin
    {
        public JObject PayloadSchema => JObject.Parse("""{ "type": "object", "properties": {} }""");

        public IReadOnlyList<DocSection> Documentation => [];

        public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
        {
            options.Task.Log.AddFilter(masker.CreateFilter());
            return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
