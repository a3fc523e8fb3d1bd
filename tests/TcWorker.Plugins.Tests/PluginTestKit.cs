using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json.Linq;
using TcWorker.Plugins;
using TcWorker.Runtime.Tests.Tasks.Fakes;
using TcWorker.Workers;

namespace TcWorker.Plugins.Tests;

/// <summary>Creates plugins from their providers as the runtime does, with a test worker environment.</summary>
internal static class PluginTestKit
{
    public static (string Name, IPlugin Plugin) Create(IPluginProvider provider, JObject? config = null, TimeProvider? time = null) =>
        (provider.Name, provider.Create(new PluginOptions(config ?? [], new TestEnvironment(time ?? TimeProvider.System), NullLogger.Instance)));

    public static RunHarness Harness(params (string Name, IPlugin Plugin)[] plugins) => new(plugins);

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
