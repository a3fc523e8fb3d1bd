using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Tasks;

namespace TcWorker.Engines.Mock;

/// <summary>One mock task: its function, argument and what the builder attached.</summary>
internal sealed class MockRun(string function, string argument, TimeSpan delay, ITaskLog log, TimeProvider time)
{
    private const string VolumeMarker = "mock-volume-marker";

    public ConcurrentDictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, RequestDelegate> Proxies { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, (MockVolume Volume, bool ReadOnly)> Volumes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Gives every attached volume back, so later sandboxes may attach them.</summary>
    public void ReleaseVolumes()
    {
        foreach (var (volume, _) in Volumes.Values)
        {
            volume.Release(this);
        }
    }

    /// <summary>Runs the function. Throws OperationCanceledException when stopped.</summary>
    public async Task<MockResultSet> ExecuteAsync(CancellationToken stop)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, stop).ConfigureAwait(false);
        }

        var exitCode = function switch
        {
            "true" => 0,
            "false" => 1,
            "write-log" => await WriteAsync(argument + "\n").ConfigureAwait(false),
            "write-log-and-fail" => await WriteAsync(argument + "\n").ConfigureAwait(false) + 1,
            "sleep" => await SleepAsync(stop).ConfigureAwait(false),
            "malformed-payload-after-start" => throw new MalformedPayloadException(argument.Length > 0 ? argument : "The mock payload is malformed (after start)."),
            "fatal-internal-error" => throw new FatalInternalException("The mock engine failed fatally, as asked."),
            "nonfatal-internal-error" => throw new NonFatalInternalException("The mock engine failed for this task, as asked."),
            "print-env" => await PrintEnvironmentAsync().ConfigureAwait(false),
            "ping-proxy" => await PingProxyAsync(argument, stop).ConfigureAwait(false),
            "ping-proxy-url" => await PingProxyUrlAsync(stop).ConfigureAwait(false),
            "write-files" => WriteFiles(),
            "write-files-then-sleep" => await SleepForeverAsync(WriteFiles(), stop).ConfigureAwait(false),
            "exit-code" => int.TryParse(argument, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : throw new MalformedPayloadException("payload.argument must be an integer for exit-code."),
            "write-volume" => WriteVolume(),
            "read-volume" => Volume(argument) is { } v && v.Volume.Files.ContainsKey(VolumeMarker) ? 0 : 1,
            "check-volume-files" => CheckVolumeFiles(),
            _ => throw new MalformedPayloadException($"Unknown function '{function}'."),
        };
        return new MockResultSet(exitCode == 0, exitCode, Files);
    }

    private async Task<int> WriteAsync(string text)
    {
        await log.WriteAsync(Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> SleepAsync(CancellationToken stop)
    {
        if (!int.TryParse(argument, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0)
        {
            throw new MalformedPayloadException("payload.argument must be a number of milliseconds for sleep.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(ms), time, stop).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> SleepForeverAsync(int _, CancellationToken stop)
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, time, stop).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> PrintEnvironmentAsync()
    {
        if (argument.Length > 0)
        {
            return Environment.TryGetValue(argument, out var value) ? await WriteAsync(value + "\n").ConfigureAwait(false) : 1;
        }

        return await WriteAsync(string.Concat(Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}\n"))).ConfigureAwait(false);
    }

    private Task<int> PingProxyUrlAsync(CancellationToken stop)
    {
        if (!Environment.TryGetValue(argument, out var url) || !url.StartsWith(MockSandboxBuilder.ProxyUrlBase, StringComparison.Ordinal))
        {
            log.WriteErrorLine($"The variable '{argument}' does not hold the URL of a mock proxy.");
            return Task.FromResult(1);
        }

        return PingProxyAsync(url[MockSandboxBuilder.ProxyUrlBase.Length..] + "v1/ping", stop);
    }

    private async Task<int> PingProxyAsync(string target, CancellationToken stop)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? target : target[..slash];
        var path = slash < 0 ? "/v1/ping" : target[slash..];
        if (!Proxies.TryGetValue(name, out var handler))
        {
            log.WriteErrorLine($"No proxy named '{name}' is attached.");
            return 1;
        }

        var context = new DefaultHttpContext { RequestAborted = stop };
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("taskcluster");
        context.Request.PathBase = "/" + name;
        context.Request.Path = path;
        using var body = new MemoryStream();
        context.Response.Body = body;
        await handler(context).ConfigureAwait(false);
        await WriteAsync(Encoding.UTF8.GetString(body.ToArray()) + "\n").ConfigureAwait(false);
        return context.Response.StatusCode is >= 200 and < 300 ? 0 : 1;
    }

    private int WriteFiles()
    {
        var files = ArgumentObject("of path to content for write-files");
        foreach (var (path, content) in files)
        {
            Files[MockResultSet.Normalize(path)] = Encoding.UTF8.GetBytes(content?.ToString() ?? string.Empty);
        }

        return 0;
    }

    private int WriteVolume()
    {
        if (Volume(argument) is not { } mounted)
        {
            return 1;
        }

        if (mounted.ReadOnly)
        {
            log.WriteErrorLine($"The volume at '{argument}' is read-only.");
            return 1;
        }

        mounted.Volume.Files[VolumeMarker] = Encoding.UTF8.GetBytes("written");
        return 0;
    }

    private int CheckVolumeFiles()
    {
        var check = ArgumentObject("{mountPoint, files} for check-volume-files");
        if (Volume(check["mountPoint"]?.ToString() ?? string.Empty) is not { } mounted)
        {
            return 1;
        }

        var missing = (check["files"] as JObject ?? []).Properties()
            .Where(f => !mounted.Volume.Files.TryGetValue(f.Name, out var bytes) || Encoding.UTF8.GetString(bytes) != f.Value.ToString())
            .Select(f => f.Name)
            .ToList();
        foreach (var path in missing)
        {
            log.WriteErrorLine($"The volume lacks '{path}' with the expected content.");
        }

        return missing.Count == 0 ? 0 : 1;
    }

    /// <summary>The argument as a JSON object; a <see cref="MalformedPayloadException"/> naming <paramref name="what"/> when it is none.</summary>
    private JObject ArgumentObject(string what)
    {
        try
        {
            return JObject.Parse(argument);
        }
        catch (JsonReaderException e)
        {
            throw new MalformedPayloadException($"payload.argument must be a JSON object {what}: {e.Message}");
        }
    }

    private (MockVolume Volume, bool ReadOnly)? Volume(string mountPoint)
    {
        if (Volumes.TryGetValue(mountPoint, out var mounted))
        {
            return mounted;
        }

        log.WriteErrorLine($"No volume is mounted at '{mountPoint}'.");
        return null;
    }
}
