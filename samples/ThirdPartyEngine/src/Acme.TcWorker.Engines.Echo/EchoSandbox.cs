using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;

namespace Acme.TcWorker.Engines.Echo;

/// <summary>
/// Collects the task's environment. Plugins call a builder from their <c>BuildSandboxAsync</c> hooks at the
/// same time, so every member is thread-safe: the variables are kept under a lock.
/// </summary>
internal sealed partial class EchoSandboxBuilder(SandboxOptions options) : ISandboxBuilder
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, string> environment = [];

    public void SetEnvironmentVariable(string name, string value)
    {
        if (name is null || !ValidName().IsMatch(name))
        {
            throw new MalformedPayloadException($"'{name}' is not a valid environment variable name.");
        }

        lock (gate)
        {
            if (!environment.TryAdd(name, value))
            {
                throw new NamingConflictException("environment variable", name);
            }
        }
    }

    public Task<ISandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return Task.FromResult<ISandbox>(new EchoSandbox(options, new Dictionary<string, string>(environment)));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ValidName();
}

/// <summary>
/// A running echo task. The races between its end, a kill and an abort are left to the SDK's
/// <see cref="SandboxLifecycle{TResult}"/>: whichever comes first wins, and later calls see that outcome.
/// </summary>
internal sealed class EchoSandbox : ISandbox
{
    private readonly SandboxLifecycle<IResultSet> lifecycle = new();

    public EchoSandbox(SandboxOptions options, IReadOnlyDictionary<string, string> environment) =>
        lifecycle.Start(stopping => RunAsync(options, environment, stopping));

    public Task<IResultSet> WaitForResultAsync(CancellationToken cancellationToken = default) => lifecycle.WaitAsync(cancellationToken);

    public Task AbortAsync() => lifecycle.AbortAsync();

    // An echo task only waits: it has nothing to finish when asked to stop, so it stops at once and
    // the grace period is not needed. A real engine asks its task to stop (SIGTERM or the like) and
    // gives it up to lifecycle.KillGracePeriod before killing it.
    public Task KillAsync(TimeSpan gracePeriod) => lifecycle.KillAsync(gracePeriod);

    public async ValueTask DisposeAsync()
    {
        // Aborts a task still running. An echo result holds nothing, so who owns it does not matter here.
        await lifecycle.StopForDisposalAsync().ConfigureAwait(false);
        lifecycle.Dispose();
    }

    private async Task<IResultSet> RunAsync(SandboxOptions options, IReadOnlyDictionary<string, string> environment, CancellationToken stopping)
    {
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
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(payload["sleepSeconds"]?.Value<double>() ?? 0), stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        // Finish tells whether a kill came first: a killed task's result is unsuccessful and has no exit code.
        var exitCode = payload["exitCode"]?.Value<int>() ?? 0;
        return lifecycle.Finish() ? new EchoResult(false, null) : new EchoResult(exitCode == 0, exitCode);
    }

    private sealed record EchoResult(bool Success, int? ExitCode) : IResultSet
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
