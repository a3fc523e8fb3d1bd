using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.SecretMask;

internal sealed class SecretMaskPlugin(Regex envNames) : IPlugin
{
    public JObject PayloadSchema => JObject.Parse("""{ "type": "object", "properties": {} }""");

    public IReadOnlyList<DocSection> Documentation =>
    [
        new("Secrets masking", """
            The task log (live and uploaded) shows `***` in place of: the values of the payload's `env`
            variables whose names match the worker's `envPatterns` (by default `*_TOKEN`, `*_SECRET`,
            `*PASSWORD*`, `*_KEY`, `*_CREDENTIALS`, case-insensitive); the run's temporary credentials;
            and any value the task registers by printing a line `::add-mask::VALUE` at the start of a
            line. The value is masked from that line on, and the line itself is logged as
            `::add-mask::***`. A value with several lines is masked whole and line by line. Only the
            literal bytes are masked: register encoded forms (base64, URL encoding) too.
            """),
    ];

    public Task<ITaskPlugin> CreateTaskPluginAsync(TaskPluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var task = options.Task;
        var secrets = task.Task["payload"]?["env"] is JObject env
            ? env.Properties().Where(p => envNames.IsMatch(p.Name) && p.Value.Type == JTokenType.String).Select(p => (string)p.Value!).ToArray()
            : [];
        task.Log.AddFilter(new TaskSecretFilter(secrets, () => task.Credentials));
        return Task.FromResult<ITaskPlugin>(NoOpTaskPlugin.Instance);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
