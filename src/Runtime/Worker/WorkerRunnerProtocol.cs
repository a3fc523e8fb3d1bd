using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// Taskcluster worker-runner's line protocol over the worker's stdin and stdout: newline-terminated
/// <c>~{json}</c> messages. The runner's <c>welcome</c> is answered with <c>hello</c> and the
/// capabilities both sides have; <c>graceful-termination</c> stops the worker (finishing tasks or
/// not) and <c>new-credentials</c> replaces the worker's credentials. Any other line is ignored. The
/// worker sends <c>error-report</c>, <c>shutdown</c> and <c>log</c> messages when they are agreed.
/// Thread-safe for sending.
/// </summary>
public sealed class WorkerRunnerProtocol : IAsyncDisposable
{
    /// <summary>The capabilities this worker implements.</summary>
    public static readonly IReadOnlyList<string> SupportedCapabilities = ["graceful-termination", "new-credentials", "error-report", "shutdown", "log"];

    /// <summary>Log messages waiting to be sent at most; more are dropped (a runner that does not read must not stall the worker).</summary>
    private const int LogBuffer = 1000;

    private readonly TextReader input;
    private readonly TextWriter output;
    private readonly WorkerLifetime lifetime;
    private readonly Action<TaskclusterCredentials> onNewCredentials;
    private readonly ILogger logger;
    private readonly SemaphoreSlim sending = new(1, 1);
    private readonly TaskCompletionSource<IReadOnlyList<string>> negotiated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private readonly System.Threading.Channels.Channel<JObject> logs = System.Threading.Channels.Channel.CreateBounded<JObject>(
        new System.Threading.Channels.BoundedChannelOptions(LogBuffer) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest, SingleReader = true });
    private Task? reading;
    private Task? forwarding;

    /// <summary>Creates the protocol endpoint.</summary>
    /// <param name="input">The worker's stdin (messages from the runner).</param>
    /// <param name="output">The worker's stdout (messages to the runner); nothing else may write there.</param>
    /// <param name="lifetime">Stopped on graceful-termination.</param>
    /// <param name="onNewCredentials">Called with renewed worker credentials.</param>
    /// <param name="logger">For protocol problems.</param>
    public WorkerRunnerProtocol(TextReader input, TextWriter output, WorkerLifetime lifetime, Action<TaskclusterCredentials> onNewCredentials, ILogger logger)
    {
        this.input = input;
        this.output = output;
        this.lifetime = lifetime;
        this.onNewCredentials = onNewCredentials;
        this.logger = logger;
    }

    /// <summary>The capabilities agreed with the runner; completes once <c>hello</c> is sent.</summary>
    public Task<IReadOnlyList<string>> Capabilities => negotiated.Task;

    /// <summary>Starts reading the runner's messages in the background.</summary>
    public void Start()
    {
        reading = Task.Run(() => ReadAsync(stop.Token));
        forwarding = Task.Run(() => ForwardLogsAsync(stop.Token));
    }

    /// <summary>
    /// Queues a structured log message for the runner (<c>~{"type": "log", "body": ...}</c>), sent once the
    /// <c>log</c> capability is agreed and dropped when it is not. Never blocks: past 1000 waiting messages
    /// the oldest are dropped.
    /// </summary>
    /// <param name="body">The message's body; <c>textPayload</c> is its text.</param>
    public void SendLog(JObject body) => logs.Writer.TryWrite(new JObject { ["type"] = "log", ["body"] = body });

    /// <summary>
    /// Sends an error report for worker-manager's worker pool errors, if the runner supports it. The
    /// title is cut to 128 characters and the description to 10240, worker-manager's limits.
    /// </summary>
    /// <param name="kind">E.g. <c>worker-error</c>: lowercase letters, digits and dashes.</param>
    /// <param name="title">A short title.</param>
    /// <param name="description">What happened.</param>
    /// <param name="extra">Structured details, as strings; none when null.</param>
    /// <returns>When sent (or skipped).</returns>
    public Task ReportErrorAsync(string kind, string title, string description, IReadOnlyDictionary<string, string>? extra = null) =>
        SendIfAgreedAsync("error-report", new JObject
        {
            ["type"] = "error-report",
            ["kind"] = kind,
            ["title"] = Cut(title, 128),
            ["description"] = Cut(description, 10240),
            ["extra"] = new JObject((extra ?? new Dictionary<string, string>()).Select(e => new JProperty(e.Key, e.Value))),
        });

    /// <summary>Asks the runner to remove the worker and shut the machine down, if it supports it.</summary>
    /// <returns>When sent (or skipped).</returns>
    public Task SendShutdownAsync() => SendIfAgreedAsync("shutdown", new JObject { ["type"] = "shutdown" });

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Whatever was logged up to here still goes out, briefly.
        logs.Writer.TryComplete();
        if (forwarding is not null)
        {
            await Task.WhenAny(forwarding, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        negotiated.TrySetResult([]);
        stop.Dispose();
        sending.Dispose();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (!line.StartsWith("~{", StringComparison.Ordinal))
                {
                    continue;
                }

                JObject message;
                try
                {
                    message = JObject.Parse(line[1..]);
                }
                catch (JsonException e)
                {
                    WorkerLog.ProtocolProblem(logger, $"an unreadable message ({e.Message})");
                    continue;
                }

                await HandleAsync(message).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        WorkerLog.ProtocolProblem(logger, "worker-runner closed the protocol channel");
        negotiated.TrySetResult([]);
    }

    private async Task HandleAsync(JObject message)
    {
        switch (message.Value<string>("type"))
        {
            case "welcome":
                var offered = (message["capabilities"] as JArray)?.Values<string>().OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
                var agreed = SupportedCapabilities.Where(offered.Contains).ToList();
                await SendAsync(new JObject { ["type"] = "hello", ["capabilities"] = new JArray(agreed) }).ConfigureAwait(false);
                negotiated.TrySetResult(agreed);
                break;
            case "graceful-termination":
                if (message.Value<bool?>("finish-tasks") == true)
                {
                    lifetime.StopGracefully();
                }
                else
                {
                    lifetime.StopNow();
                }

                break;
            case "new-credentials":
                var clientId = message.Value<string>("client-id");
                var accessToken = message.Value<string>("access-token");
                if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(accessToken))
                {
                    WorkerLog.ProtocolProblem(logger, "a new-credentials message without client-id or access-token");
                    break;
                }

                onNewCredentials(new TaskclusterCredentials(clientId, accessToken, message.Value<string>("certificate")));
                break;
            default:
                WorkerLog.ProtocolProblem(logger, $"an unknown message type '{message.Value<string>("type")}'");
                break;
        }
    }

    private async Task ForwardLogsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var agreed = await negotiated.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!agreed.Contains("log", StringComparer.Ordinal))
            {
                return;
            }

            await foreach (var message in logs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendAsync(message).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Stopping, or the runner went away.
        }
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private async Task SendIfAgreedAsync(string capability, JObject message)
    {
        if (negotiated.Task.IsCompletedSuccessfully && negotiated.Task.Result.Contains(capability, StringComparer.Ordinal))
        {
            await SendAsync(message).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(JObject message)
    {
        await sending.WaitAsync().ConfigureAwait(false);
        try
        {
            await output.WriteAsync("~" + message.ToString(Formatting.None) + "\n").ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            sending.Release();
        }
    }
}
