using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.LocalQueue.Auth;

/// <summary>The permanent clients: the root client (scope <c>*</c>) and those of the clients file.</summary>
internal sealed class ClientRegistry
{
    private readonly Dictionary<string, HawkClient> clients = new(StringComparer.Ordinal);

    public ClientRegistry(TaskclusterCredentials root, string? clientsFile)
    {
        TaskclusterIdentifiers.EnsureValidClientId(root.ClientId, nameof(root));
        Root = root;
        clients[root.ClientId] = new HawkClient(root.AccessToken, ["*"]);
        if (clientsFile is null)
        {
            return;
        }

        foreach (var entry in QueueJson.Parse(File.ReadAllText(clientsFile)).Children<JObject>())
        {
            var clientId = (string?)entry["clientId"] ?? throw new InvalidDataException($"{clientsFile}: a client without clientId");
            var token = (string?)entry["accessToken"] ?? throw new InvalidDataException($"{clientsFile}: {clientId} has no accessToken");
            if (!TaskclusterIdentifiers.IsValidClientId(clientId))
            {
                throw new InvalidDataException($"{clientsFile}: client id {TaskclusterIdentifiers.Quote(clientId)} does not match ^[A-Za-z0-9!@/:.+|_-]+$");
            }

            if (entry["scopes"] is { } scopeList && (scopeList is not JArray array || array.Any(s => s.Type != JTokenType.String)))
            {
                throw new InvalidDataException($"{clientsFile}: the scopes of {clientId} must be an array of strings");
            }

            var scopes = entry["scopes"]?.Values<string>().OfType<string>().ToArray() ?? [];
            if (scopes.FirstOrDefault(s => !TaskclusterIdentifiers.IsValidScope(s)) is { } bad)
            {
                throw new InvalidDataException($"{clientsFile}: scope {TaskclusterIdentifiers.Quote(bad)} of {clientId} is not printable ASCII");
            }

            DateTimeOffset? expires = QueueJson.TryParseDate(entry["expires"], out var e) ? e : null;
            clients[clientId] = new HawkClient(token, scopes, expires);
        }
    }

    /// <summary>The root credentials, which issue temporary credentials.</summary>
    public TaskclusterCredentials Root { get; }

    public ValueTask<HawkClient?> LookupAsync(string clientId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(clients.GetValueOrDefault(clientId));

    /// <summary>A random access token in the style of the auth service's (44 URL-safe characters).</summary>
    public static string NewAccessToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(33)).Replace('+', '-').Replace('/', '_');
}
