using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Mock;

/// <summary>The mock engine. Thread-safe; unbounded concurrency.</summary>
internal sealed class MockEngine(TimeProvider time) : IEngine
{
    public EngineCapabilities Capabilities { get; } = new()
    {
        MaxConcurrency = 0,
        Features = EngineFeatures.EnvironmentVariables | EngineFeatures.Artifacts | EngineFeatures.Kill | EngineFeatures.Volumes | EngineFeatures.Proxies,
    };

    public JObject PayloadSchema => new()
    {
        ["type"] = "object",
        ["properties"] = new JObject
        {
            ["function"] = new JObject
            {
                ["type"] = "string",
                ["enum"] = new JArray(MockFunctions.Names),
                ["description"] = "The behaviour to run.",
            },
            ["argument"] = new JObject { ["type"] = "string", ["description"] = "The function's argument." },
            ["delay"] = new JObject { ["type"] = "integer", ["minimum"] = 0, ["description"] = "Milliseconds to wait before running the function." },
        },
        ["required"] = new JArray("function"),
    };

    public IReadOnlyList<DocSection> Documentation { get; } =
    [
        new("Payload", "`function` picks the behaviour, `argument` is its input, `delay` (ms) waits before it runs.\n\n" + MockFunctions.Describe()),
        new("Volumes and proxies", "Volumes are in-memory (`write-volume` and `read-volume` with the mount point as argument). Proxies are attached handlers called in memory by `ping-proxy`."),
    ];

    public JObject VolumeSchema => new() { ["type"] = "object", ["properties"] = new JObject() };

    public Task<ISandboxBuilder> CreateSandboxBuilderAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var function = options.Payload["function"]?.Type == JTokenType.String ? options.Payload["function"]!.Value<string>()! : string.Empty;
        if (!MockFunctions.Names.Contains(function))
        {
            throw new MalformedPayloadException($"payload.function must be one of {string.Join(", ", MockFunctions.Names)}.");
        }

        var delay = options.Payload["delay"] is { Type: JTokenType.Integer } d ? d.Value<long>() : 0;
        if (delay < 0 || options.Payload["delay"] is { Type: not JTokenType.Integer })
        {
            throw new MalformedPayloadException("payload.delay must be a non-negative integer (milliseconds).");
        }

        var argument = options.Payload["argument"]?.ToString() ?? string.Empty;
        return Task.FromResult<ISandboxBuilder>(new MockSandboxBuilder(new MockRun(function, argument, TimeSpan.FromMilliseconds(delay), options.Task.Log, time)));
    }

    public Task<IVolume> CreateVolumeAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.FromResult<IVolume>(new MockVolume(VolumeId(options)));
    }

    public Task<IVolumeBuilder> CreateVolumeBuilderAsync(VolumeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.FromResult<IVolumeBuilder>(new MockVolumeBuilder(VolumeId(options)));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string VolumeId(VolumeOptions options) => options.Id ?? "mock-" + Guid.NewGuid().ToString("N");
}
