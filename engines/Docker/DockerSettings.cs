using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Errors;

namespace TcWorker.Engines.Docker;

/// <summary>Credentials for one registry (<c>engines.docker.registries.&lt;host&gt;</c>).</summary>
/// <param name="Username">The user name.</param>
/// <param name="Password">The password or access token; never logged.</param>
internal sealed record RegistryCredentials(string Username, string Password)
{
    public override string ToString() => $"RegistryCredentials {{ Username = {Username}, Password = *** }}";
}

/// <summary>The TLS files of a TCP endpoint (<c>engines.docker.tls</c>).</summary>
/// <param name="CaFile">The CA certificate (PEM) the daemon's certificate must chain to; null trusts the system's CAs.</param>
/// <param name="CertFile">The client certificate (PEM); null sends none.</param>
/// <param name="KeyFile">The client certificate's private key (PEM).</param>
internal sealed record DockerTlsSettings(string? CaFile, string? CertFile, string? KeyFile);

/// <summary>The docker engine's config (<c>engines.docker</c>), parsed from JSON already validated against <see cref="Schema"/>.</summary>
internal sealed class DockerSettings
{
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";
    public static readonly Version MinimumApiVersion = new(1, 41);
    public static readonly IReadOnlyList<string> DeviceNames = ["kvm", "hostSharedMemory", "loopbackAudio", "loopbackVideo"];

    public Uri Endpoint { get; init; } = new(DefaultEndpoint);

    public DockerTlsSettings? Tls { get; init; }

    /// <summary>A pinned API version; null negotiates with the daemon.</summary>
    public Version? ApiVersion { get; init; }

    public string Network { get; init; } = "bridge";

    public long? MemoryBytes { get; init; }

    public double? Cpus { get; init; }

    public long? PidsLimit { get; init; }

    public string? WorkingDirectory { get; init; }

    public bool AllowPrivileged { get; init; }

    /// <summary>Whether tasks with the scope may ask for <c>features.allowPtrace</c> (d2g's <c>allowPtrace</c>).</summary>
    public bool AllowPtrace { get; init; }

    public IReadOnlySet<string> AllowedDevices { get; init; } = new HashSet<string>();

    public string LoopbackVideoDevice { get; init; } = "/dev/video0";

    public IReadOnlyDictionary<string, RegistryCredentials> Registries { get; init; } = new Dictionary<string, RegistryCredentials>();

    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public int PullRetries { get; init; } = 3;

    public TimeSpan PullRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan AbortGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    public static JObject Schema => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JObject
        {
            ["endpoint"] = Describe("string", $"The Docker daemon: unix:///path/to/docker.sock, tcp://host:port or https://host:port. Default {DefaultEndpoint}."),
            ["tls"] = new JObject
            {
                ["type"] = "object",
                ["additionalProperties"] = false,
                ["description"] = "TLS for a tcp:// or https:// endpoint: the daemon's CA and the worker's client certificate, as PEM files (docker's --tlscacert, --tlscert, --tlskey).",
                ["properties"] = new JObject
                {
                    ["caFile"] = Describe("string", "The CA certificate the daemon's certificate must chain to; the system's CAs when absent."),
                    ["certFile"] = Describe("string", "The client certificate."),
                    ["keyFile"] = Describe("string", "The client certificate's private key."),
                },
            },
            ["apiVersion"] = new JObject
            {
                ["type"] = "string",
                ["pattern"] = "^1\\.[0-9]+$",
                ["description"] = "Pins the Engine API version (at least 1.41). By default the engine negotiates: the daemon's version, capped at the newest the engine knows.",
            },
            ["network"] = Describe("string", "The network mode of task containers: none, host, bridge or the name of a network. Default bridge."),
            ["memory"] = new JObject
            {
                ["type"] = new JArray("string", "integer"),
                ["pattern"] = "^[0-9]+[bkmgBKMG]?$",
                ["minimum"] = 6291456,
                ["description"] = "The memory limit of a task container, in bytes or with a unit (512m, 2g). Swap is not added on top. No limit by default.",
            },
            ["cpus"] = new JObject { ["type"] = "number", ["exclusiveMinimum"] = 0, ["description"] = "The CPUs a task container may use (docker run --cpus). No limit by default." },
            ["pids"] = new JObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "The most processes a task container may hold at once (docker run --pids-limit). No limit by default." },
            ["workingDirectory"] = Describe("string", "The working directory of task containers, an absolute path. The image's own by default."),
            ["allowPrivileged"] = new JObject { ["type"] = "boolean", ["default"] = false, ["description"] = "Lets tasks with the scope docker-worker:capability:privileged (or its :<workerPoolId> form) ask for capabilities.privileged." },
            ["allowPtrace"] = new JObject { ["type"] = "boolean", ["default"] = false, ["description"] = "Lets tasks with the scope docker-worker:feature:allowPtrace ask for features.allowPtrace (the container gets CAP_SYS_PTRACE)." },
            ["allowDevices"] = new JObject
            {
                ["type"] = "array",
                ["uniqueItems"] = true,
                ["items"] = new JObject { ["enum"] = new JArray(DeviceNames) },
                ["description"] = "The devices tasks may ask for in capabilities.devices (each also needs the scope docker-worker:capability:device:<name>, or its :<workerPoolId> form). None by default.",
            },
            ["loopbackVideoDevice"] = Describe("string", "The host's v4l2loopback device handed to tasks that ask for loopbackVideo. Default /dev/video0."),
            ["registries"] = new JObject
            {
                ["type"] = "object",
                ["description"] = "Credentials per registry host (docker.io, ghcr.io, 127.0.0.1:5000) for pulling images.",
                ["additionalProperties"] = new JObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["required"] = new JArray("username", "password"),
                    ["properties"] = new JObject
                    {
                        ["username"] = new JObject { ["type"] = "string" },
                        ["password"] = new JObject { ["type"] = "string" },
                    },
                },
            },
            ["pullTimeoutSeconds"] = new JObject { ["type"] = "number", ["exclusiveMinimum"] = 0, ["default"] = 600, ["description"] = "How long pulling one image may take, retries included." },
            ["pullRetries"] = new JObject { ["type"] = "integer", ["minimum"] = 0, ["default"] = 3, ["description"] = "How often a pull is retried after a transient registry error." },
            ["abortGracePeriodSeconds"] = new JObject { ["type"] = "number", ["minimum"] = 0, ["default"] = 5, ["description"] = "Seconds an aborted task's container gets between SIGTERM and SIGKILL." },
        },
    };

    /// <summary>Parses the config; throws <see cref="ConfigurationException"/> naming the key when a value cannot be used.</summary>
    public static DockerSettings Parse(JObject config)
    {
        var endpoint = Str(config, "endpoint") ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http" or "https"))
        {
            throw new ConfigurationException($"engines.docker.endpoint: '{endpoint}' is not a unix://, tcp://, http:// or https:// address of a Docker daemon.");
        }

        var tls = config["tls"] is JObject t ? new DockerTlsSettings(Str(t, "caFile"), Str(t, "certFile"), Str(t, "keyFile")) : null;
        if (tls is not null)
        {
            if (uri.Scheme == "unix")
            {
                throw new ConfigurationException("engines.docker.tls: TLS applies to tcp:// and https:// endpoints, not to a Unix socket.");
            }

            if ((tls.CertFile is null) != (tls.KeyFile is null))
            {
                throw new ConfigurationException("engines.docker.tls: certFile and keyFile go together.");
            }

            foreach (var (key, file) in new[] { ("caFile", tls.CaFile), ("certFile", tls.CertFile), ("keyFile", tls.KeyFile) })
            {
                if (file is not null && !File.Exists(file))
                {
                    throw new ConfigurationException($"engines.docker.tls.{key}: the file '{file}' does not exist.");
                }
            }
        }

        Version? apiVersion = null;
        if (Str(config, "apiVersion") is { } pinned)
        {
            apiVersion = Version.Parse(pinned);
            if (apiVersion < MinimumApiVersion)
            {
                throw new ConfigurationException($"engines.docker.apiVersion: {pinned} is older than {MinimumApiVersion}, the oldest Engine API the docker engine speaks.");
            }
        }

        var workingDirectory = Str(config, "workingDirectory");
        if (workingDirectory is not null && !workingDirectory.StartsWith('/'))
        {
            throw new ConfigurationException($"engines.docker.workingDirectory: '{workingDirectory}' is not an absolute path.");
        }

        return new DockerSettings
        {
            Endpoint = uri,
            Tls = tls,
            ApiVersion = apiVersion,
            Network = Str(config, "network") ?? "bridge",
            MemoryBytes = config["memory"] is { } memory ? ParseBytes(memory) : null,
            Cpus = config["cpus"]?.Value<double>(),
            PidsLimit = config["pids"]?.Value<long>(),
            WorkingDirectory = workingDirectory,
            AllowPrivileged = config["allowPrivileged"]?.Value<bool>() ?? false,
            AllowPtrace = config["allowPtrace"]?.Value<bool>() ?? false,
            AllowedDevices = config["allowDevices"] is JArray devices ? devices.Select(d => d.Value<string>()!).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(),
            LoopbackVideoDevice = Str(config, "loopbackVideoDevice") ?? "/dev/video0",
            Registries = config["registries"] is JObject registries
                ? registries.Properties().ToDictionary(p => p.Name, p => new RegistryCredentials(Str((JObject)p.Value, "username")!, Str((JObject)p.Value, "password")!), StringComparer.OrdinalIgnoreCase)
                : new Dictionary<string, RegistryCredentials>(),
            PullTimeout = TimeSpan.FromSeconds(config["pullTimeoutSeconds"]?.Value<double>() ?? 600),
            PullRetries = config["pullRetries"]?.Value<int>() ?? 3,
            AbortGracePeriod = TimeSpan.FromSeconds(config["abortGracePeriodSeconds"]?.Value<double>() ?? 5),
        };
    }

    private static long ParseBytes(JToken value)
    {
        if (value.Type == JTokenType.Integer)
        {
            return value.Value<long>();
        }

        var text = value.Value<string>()!.Trim().ToLowerInvariant();
        var unit = char.IsLetter(text[^1]) ? text[^1] : 'b';
        var number = long.Parse(char.IsLetter(text[^1]) ? text[..^1] : text, CultureInfo.InvariantCulture);
        return number * unit switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            _ => 1L,
        };
    }

    private static string? Str(JObject o, string key) => o[key]?.Type == JTokenType.String ? o[key]!.Value<string>() : null;

    private static JObject Describe(string type, string description) => new() { ["type"] = type, ["description"] = description };
}
