using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using TcWorker.Cli.Local;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Cli.Commands;

/// <summary><c>tc-worker queue</c>: serve the local queue, and talk to any queue as a task author.</summary>
internal static class QueueCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var queue = new Command("queue", "The local queue (serve) and a task author's calls to any queue (create-task, status, artifacts); the latter read TASKCLUSTER_ROOT_URL, TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN.");
        queue.Subcommands.Add(Serve(output, error));
        queue.Subcommands.Add(CreateTask(output));
        queue.Subcommands.Add(Status(output));
        queue.Subcommands.Add(Artifacts(output, error));
        return queue;
    }

    private static Command Serve(TextWriter output, TextWriter error)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "A worker config file (YAML or JSON): the dashboard's task editor checks payloads against the payload schema its engines and plugins compose." };
        var pluginDirectories = CommonOptions.PluginDirectories();
        var listen = new Option<string>("--listen") { Description = "Address and port to listen on (default 127.0.0.1:0, a free port).", DefaultValueFactory = _ => "127.0.0.1:0" };
        var data = new Option<DirectoryInfo>("--data") { Description = "The data folder (SQLite database and artifacts); kept across restarts, and made private to this user (700, its files 600).", Required = true };
        var clients = new Option<FileInfo?>("--clients") { Description = "A JSON file of more clients: [{clientId, accessToken, scopes}]." };
        var claimTimeout = new Option<int?>("--claim-timeout") { Description = "Seconds a claim lasts without a reclaim (default 1200)." };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "Keep artifacts in this S3-compatible endpoint (e.g. http://127.0.0.1:9000) instead of the data folder; uploads and downloads use presigned URLs." };
        var s3Bucket = new Option<string?>("--s3-bucket") { Description = "The bucket for artifacts (with --s3-endpoint); it must exist." };
        var s3AccessKey = new Option<string?>("--s3-access-key") { Description = "The S3 access key id (default: AWS_ACCESS_KEY_ID)." };
        var s3SecretKey = new Option<string?>("--s3-secret-key") { Description = "The S3 secret access key (default: AWS_SECRET_ACCESS_KEY)." };
        var s3Region = new Option<string>("--s3-region") { Description = "The region requests are signed for.", DefaultValueFactory = _ => "us-east-1" };
        var s3PathStyle = new Option<bool>("--s3-path-style") { Description = "Path-style addressing (endpoint/bucket/key), as most S3-compatible servers want." };
        var trustedProxy = new Option<string[]>("--trusted-proxy")
        {
            Description = "The address of a reverse proxy in front of the queue, whose X-Forwarded-Proto and X-Forwarded-Port are believed (repeatable; none by default).",
            AllowMultipleArgumentsPerToken = false,
        };
        var maxConnections = new Option<int?>("--max-connections") { Description = "The most connections served at once (default 1000); more wait in the listen backlog." };
        var anonymousScope = new Option<string[]>("--anonymous-scope")
        {
            Description = "A scope of the anonymous role, granted to every call (repeatable; replaces the default queue:get-artifact:public/* and index:find-task:*; give it an empty value for none).",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("serve", "Serve a Taskcluster-compatible queue until SIGTERM or SIGINT. Prints its root URL; the root client's credentials go to <data>/credentials.env (mode 600), ready to be sourced.")
        {
            listen,
            data,
            clients,
            claimTimeout,
            s3Endpoint,
            s3Bucket,
            s3AccessKey,
            s3SecretKey,
            s3Region,
            s3PathStyle,
            trustedProxy,
            maxConnections,
            anonymousScope,
            config,
            pluginDirectories,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                throw new CliException(ExitCodes.Usage, $"--listen must be address:port, e.g. 127.0.0.1:8080 (got '{parse.GetValue(listen)}')");
            }

            LocalQueueS3Options? s3 = null;
            if (parse.GetValue(s3Endpoint) is { } s3Text)
            {
                if (!Uri.TryCreate(s3Text, UriKind.Absolute, out var s3Uri) || (s3Uri.Scheme != Uri.UriSchemeHttp && s3Uri.Scheme != Uri.UriSchemeHttps))
                {
                    throw new CliException(ExitCodes.Usage, $"--s3-endpoint must be an http or https URL, e.g. http://127.0.0.1:9000 (got '{s3Text}')");
                }

                s3 = new LocalQueueS3Options
                {
                    Endpoint = s3Uri,
                    Bucket = parse.GetValue(s3Bucket) ?? throw new CliException(ExitCodes.Usage, "--s3-endpoint needs --s3-bucket"),
                    AccessKeyId = parse.GetValue(s3AccessKey) ?? Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? throw new CliException(ExitCodes.Usage, "--s3-endpoint needs --s3-access-key (or AWS_ACCESS_KEY_ID)"),
                    SecretAccessKey = parse.GetValue(s3SecretKey) ?? Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? throw new CliException(ExitCodes.Usage, "--s3-endpoint needs --s3-secret-key (or AWS_SECRET_ACCESS_KEY)"),
                    Region = parse.GetValue(s3Region)!,
                    ForcePathStyle = parse.GetValue(s3PathStyle),
                };
            }
            else if (parse.GetValue(s3Bucket) is not null)
            {
                throw new CliException(ExitCodes.Usage, "--s3-bucket needs --s3-endpoint");
            }

            var folder = parse.GetValue(data)!.FullName;
            var options = new LocalQueueOptions
            {
                ListenEndPoint = endpoint,
                DataFolder = folder,
                ClientsFile = parse.GetValue(clients)?.FullName,
                ClaimTimeout = TimeSpan.FromSeconds(parse.GetValue(claimTimeout) ?? 1200),
                S3 = s3,
                TrustedProxies = TrustedProxies(parse.GetValue(trustedProxy) ?? []),
                MaxConnections = parse.GetValue(maxConnections) is { } max and > 0 ? max
                    : parse.GetValue(maxConnections) is null ? 1000 : throw new CliException(ExitCodes.Usage, "--max-connections must be a positive number"),
            };
            if (parse.GetValue(anonymousScope) is { Length: > 0 } anonymous)
            {
                options = options with { AnonymousScopes = [.. anonymous.Where(s => s.Length > 0)] };
            }

            if (parse.GetValue(config) is { } configFile)
            {
                var workerConfig = CommonOptions.LoadConfig(configFile, error);
                var registry = CommonOptions.BuildRegistry(parse.GetValue(pluginDirectories) ?? [], workerConfig);
                options = options with { PayloadSchema = await SchemaCommand.PayloadSchemaAsync(workerConfig, registry, cancellationToken).ConfigureAwait(false) };
            }

            using var loggerFactory = WorkCommand.CreateLoggerFactory();
            await using var server = await StartAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
            var credentials = Path.Combine(folder, "credentials.env");
            var settings = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // 600 from the start; an older file was made 600 with the rest of the data folder.
                settings.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var writer = new StreamWriter(credentials, settings))
            {
                await writer.WriteAsync($"export TASKCLUSTER_ROOT_URL={server.RootUrl}\nexport TASKCLUSTER_CLIENT_ID={server.RootCredentials.ClientId}\nexport TASKCLUSTER_ACCESS_TOKEN={server.RootCredentials.AccessToken}\n").ConfigureAwait(false);
            }

            await output.WriteLineAsync(server.RootUrl).ConfigureAwait(false);
            await output.WriteLineAsync($"root client {server.RootCredentials.ClientId}; source {credentials} to use it").ConfigureAwait(false);
            await output.WriteLineAsync($"dashboard at {server.RootUrl}/ (sign in with a client of the queue)").ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            using var lifetime = new WorkerLifetime();
            using var signals = WorkCommand.StopOnSignals(lifetime);
            await Task.Delay(Timeout.Infinite, lifetime.Stopping).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Starts the queue; an address it cannot listen on is the user's to fix, said in one line.</summary>
    private static async Task<LocalQueueServer> StartAsync(LocalQueueOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        try
        {
            return await LocalQueueServer.StartAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.GetBaseException() is SocketException socket)
        {
            throw new CliException(ExitCodes.Unavailable, $"cannot listen on {options.ListenEndPoint}: {socket.Message}");
        }
    }

    private static Command CreateTask(TextWriter output)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A task definition, or just its payload, in YAML or JSON." };
        var pool = new Option<string>("--worker-pool") { Description = "The worker pool for a task that names none.", DefaultValueFactory = _ => LocalSession.DefaultWorkerPoolId };
        var command = new Command("create-task", "Submit a task; prints its task id.") { file, pool };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!.FullName;
            var task = TaskFile.Complete(TaskFile.Load(path), parse.GetValue(pool)!, path, DateTimeOffset.UtcNow);
            using var client = ClientFromEnvironment();
            var taskId = Slugid.Nice();
            await Call(() => client.Queue.CreateTaskAsync(taskId, task, cancellationToken)).ConfigureAwait(false);
            await output.WriteLineAsync(taskId).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status(TextWriter output)
    {
        var taskId = new Argument<string>("TASKID");
        var command = new Command("status", "Print a task's status as JSON.") { taskId };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ClientFromEnvironment();
            var status = await Call(() => client.Queue.StatusAsync(parse.GetValue(taskId)!, cancellationToken)).ConfigureAwait(false);
            await output.WriteLineAsync(JsonConvert.SerializeObject(status, Formatting.Indented)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Artifacts(TextWriter output, TextWriter error)
    {
        var taskId = new Argument<string>("TASKID");
        var download = new Option<DirectoryInfo?>("--download") { Description = "Download the latest run's uploaded artifacts into this folder." };
        var command = new Command("artifacts", "List the artifacts of a task's latest run, and optionally download them. An artifact that cannot be saved (its name is too long for the file system, leads outside the folder or through a symbolic link in it, or its download fails) is named on stderr and skipped; the others are saved, and the exit code is then 73.") { taskId, download };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = ClientFromEnvironment();
            var id = parse.GetValue(taskId)!;
            var status = await Call(() => client.Queue.StatusAsync(id, cancellationToken)).ConfigureAwait(false);
            var run = status.Status.Runs.LastOrDefault() ?? throw new CliException(ExitCodes.DataError, $"task {id} has no runs yet");
            await foreach (var artifact in client.Queue.EnumerateArtifactsAsync(id, run.RunId, cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"{artifact.StorageType,-9} {artifact.Name}").ConfigureAwait(false);
            }

            if (parse.GetValue(download) is { } folder)
            {
                var result = await ArtifactDownloader.DownloadAsync(client.Queue, id, run.RunId, folder.FullName, error).ConfigureAwait(false);
                var notSaved = result.NotSaved == 0 ? string.Empty : $"; {result.NotSaved} not saved (see above)";
                await output.WriteLineAsync($"downloaded {result.Saved.Count} artifact(s) into {folder.FullName}{notSaved}").ConfigureAwait(false);
                return result.NotSaved == 0 ? ExitCodes.Success : ExitCodes.CannotCreate;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static TaskclusterClient ClientFromEnvironment()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TASKCLUSTER_ROOT_URL")))
        {
            throw new CliException(ExitCodes.Usage, "set TASKCLUSTER_ROOT_URL (and TASKCLUSTER_CLIENT_ID, TASKCLUSTER_ACCESS_TOKEN), e.g. by sourcing the credentials.env that 'queue serve' writes");
        }

        return new TaskclusterClient(TaskclusterClientOptions.FromEnvironment());
    }

    internal static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (TaskclusterException e)
        {
            throw new CliException(e.StatusCode is { } s && (int)s < 500 ? ExitCodes.DataError : ExitCodes.Software, $"{e.Code}: {e.Message}");
        }
    }

    private static IPAddress[] TrustedProxies(string[] addresses) =>
        addresses.Select(a => IPAddress.TryParse(a, out var address) ? address : throw new CliException(ExitCodes.Usage, $"--trusted-proxy must be an IP address, e.g. 127.0.0.1 (got '{a}')")).ToArray();
}
