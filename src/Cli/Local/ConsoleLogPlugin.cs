using Newtonsoft.Json.Linq;
using TcWorker.Plugins;

namespace TcWorker.Cli.Local;

/// <summary>
/// Streams each task's log live to the terminal, for <c>tc-worker run</c>. Registered in code, the way
/// a custom worker binary adds its own plugins.
/// </summary>
internal sealed class ConsoleLogPluginProvider(Stream output) : IPluginProvider
{
    public const string PluginName = "console-log";

    public string Name => PluginName;

    public JObject ConfigSchema => new() { ["type"] = "object", ["additionalProperties"] = false };

    public IPlugin Create(PluginOptions options) => new ConsoleLogPlugin(output);

    private sealed class ConsoleLogPlugin(Stream output) : IPlugin
    {
        public JObject PayloadSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

        public IReadOnlyList<DocSection> Documentation => [new DocSection("console-log", "Streams the task log to the terminal of `tc-worker run`.")];

        public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default) =>
            Task.FromResult<ITaskPlugin>(new ConsoleLogTaskPlugin(options.Task.Log.OpenReader(), output));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class ConsoleLogTaskPlugin : ITaskPlugin
    {
        private readonly Stream reader;
        private readonly CancellationTokenSource stop = new();
        private readonly Task copying;

        public ConsoleLogTaskPlugin(Stream reader, Stream output)
        {
            this.reader = reader;
            copying = Task.Run(async () =>
            {
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await reader.ReadAsync(buffer, stop.Token).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), stop.Token).ConfigureAwait(false);
                    await output.FlushAsync(stop.Token).ConfigureAwait(false);
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            // The log is closed by now on every path but a hung engine; do not wait for ever.
            await Task.WhenAny(copying, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await copying.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped above.
            }

            await reader.DisposeAsync().ConfigureAwait(false);
            stop.Dispose();
        }
    }
}
