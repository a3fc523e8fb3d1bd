using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace Acme.TcWorker.Engines.Echo;

internal sealed partial class EchoSandboxBuilder(SandboxOptions options) : ISandboxBuilder
{
    private readonly Dictionary<string, string> environment = [];

    public void SetEnvironmentVariable(string name, string value)
    {
        if (!ValidName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid environment variable name.");
        }

        if (!environment.TryAdd(name, value))
        {
            throw new NamingConflictException("environment variable", name);
        }
    }

    public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default) => Task.FromResult<ISandbox>(new EchoSandbox(options, environment));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ValidName();
}

internal sealed class EchoSandbox : ISandbox
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task<IResultSet> run;
    private readonly object gate = new();
    private bool aborted;
    private bool finished;

    public EchoSandbox(SandboxOptions options, IReadOnlyDictionary<string, string> environment) => run = RunAsync(options, environment);

    public async Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default)
    {
        var result = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (gate)
        {
            return aborted ? throw new SandboxAbortedException() : result;
        }
    }

    public async Task AbortAsync()
    {
        lock (gate)
        {
            if (finished)
            {
                throw new SandboxTerminatedException();
            }

            aborted = true;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
    }

    // An echo task only waits: it has nothing to finish when asked to stop, so it stops at once and
    // the grace period is not needed. A real engine asks its task to stop (SIGTERM or the like) and
    // gives it up to gracePeriod before killing it.
    public async Task KillAsync(TimeSpan gracePeriod)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task<IResultSet> RunAsync(SandboxOptions options, IReadOnlyDictionary<string, string> environment)
    {
        await Task.Yield();
        var payload = options.Payload;
        var text = new StringBuilder();
        if (payload["echo"]?.ToString() is { } echo)
        {
            text.Append(echo).Append('\n');
        }

        if (payload["printEnv"]?.ToString() is { } name && environment.TryGetValue(name, out var value))
        {
            text.Append(value).Append('\n');
        }

        await options.Task.Log.WriteAsync(Encoding.UTF8.GetBytes(text.ToString())).ConfigureAwait(false);
        var killed = false;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(payload["sleepSeconds"]?.Value<double>() ?? 0), stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            killed = true;
        }

        lock (gate)
        {
            finished = true;
        }

        var exitCode = payload["exitCode"]?.Value<int>() ?? 0;
        return killed ? new EchoResult(false, null) : new EchoResult(exitCode == 0, exitCode);
    }

    private sealed record EchoResult(bool Success, int? ExitCode) : IResultSet
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
