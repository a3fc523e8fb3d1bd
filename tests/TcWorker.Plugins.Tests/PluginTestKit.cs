using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Plugins;
using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>Creates plugins from their providers as the runtime does, with a test worker environment.</summary>
internal static class PluginTestKit
{
    public static (string Name, IPlugin Plugin) Create(IPluginProvider provider, JObject? config = null, TimeProvider? time = null) =>
        (provider.Name, provider.Create(new PluginOptions { Config = config ?? [], Environment = new TestEnvironment(time ?? TimeProvider.System), Logger = NullLogger.Instance }));

    public static RunHarness Harness(params (string Name, IPlugin Plugin)[] plugins) => new(plugins);

    /// <summary>Runs the payload and checks that it resolves malformed-payload with the message in the log.</summary>
    public static async Task AssertMalformedAsync(RunHarness harness, string payload, string message)
    {
        var outcome = await harness.RunAsync(JObject.Parse(payload));

        Assert.Equal(ExceptionReason.MalformedPayload, outcome.Reason);
        Assert.Contains(message, harness.LogText, StringComparison.Ordinal);
    }

    private sealed class TestEnvironment(TimeProvider time) : IWorkerEnvironment
    {
        public WorkerIdentity Identity { get; } = new("test-provisioner/test-worker", "test-group", "test-worker-1");

        public string RootUrl => "https://tc.example.com";

        public ITemporaryStorage Storage => throw new NotSupportedException();

        public IWebhookServer Webhooks => throw new NotSupportedException();

        public IGarbageCollector Collector => throw new NotSupportedException();

        public ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public IWorkerLifetime Lifetime => throw new NotSupportedException();

        public TimeProvider Time => time;
    }
}
