using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using TcWorker.Tasks;
using TcWorker.Workers;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>
/// One task's certificate: the artifacts' hashes are taken from the result set when the task stops (reading the
/// files the artifacts plugin uploads, at the same time), and the signed certificate is uploaded once every
/// plugin's stop stage, and so every artifact upload, is over.
/// </summary>
internal sealed class ChainOfTrustTaskPlugin(ITaskContext task, SigningKey key, JObject environment, WorkerIdentity identity, string temporaryFolder) : ITaskPlugin
{
    /// <summary>The artifact holding a copy of the task log, covered by the certificate.</summary>
    internal const string CertifiedLogName = "public/logs/certified.log";

    /// <summary>The certificate's artifact name.</summary>
    internal const string CertificateName = "public/chain-of-trust.json";

    /// <summary>The signature's artifact name.</summary>
    internal const string SignatureName = "public/chain-of-trust.json.sig";

    /// <summary>The file in the task directory whose JSON object the task adds to the certificate.</summary>
    internal const string AdditionalDataFile = "chain-of-trust-additional-data.json";

    /// <summary>The names the certificate's own artifacts take; a task's artifact may not take them.</summary>
    private static readonly string[] ReservedNames = [CertificateName, SignatureName, CertifiedLogName];

    private readonly SortedDictionary<string, string> hashes = new(StringComparer.Ordinal);
    private JObject additional = [];

    /// <summary>A task's artifact from a folder that took one of <see cref="ReservedNames"/>: the run gets no certificate.</summary>
    private string? clash;

    public Task BuildSandboxAsync(ISandboxBuilder builder, CancellationToken cancellationToken)
    {
        if (TaskUserAccess.WhyReadable(key.Path, builder.WorkingDirectory, temporaryFolder) is { } why)
        {
            throw new MalformedPayloadException($"$.features.chainOfTrust: the task's user could read the signing key, and so forge certificates: {why}");
        }

        if (ArtifactList.From(task.Task["payload"]).FirstOrDefault(a => !a.IsDirectory && IsReserved(a.Name)) is { Name: { } reserved })
        {
            throw new MalformedPayloadException($"$.artifacts: the artifact name {reserved} is taken by the chain of trust's own artifacts ({string.Join(", ", ReservedNames)}); give the file another name");
        }

        return Task.CompletedTask;
    }

    public async Task<bool> StoppedAsync(IResultSet result, CancellationToken cancellationToken)
    {
        foreach (var (isDirectory, path, name) in ArtifactList.From(task.Task["payload"]))
        {
            if (!isDirectory)
            {
                await HashAsync(name, ct => result.OpenFileAsync(path, ct), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await foreach (var file in result.EnumerateFolderAsync(path, cancellationToken).ConfigureAwait(false))
                {
                    var fileName = $"{name.TrimEnd('/')}/{file.RelativePath}";
                    if (IsReserved(fileName))
                    {
                        clash ??= fileName;
                        task.Log.WriteErrorLine($"Chain of trust: the folder artifact {name} holds {file.RelativePath}, whose name {fileName} the chain of trust's own artifacts take; this run gets no certificate");
                    }
                    else if (!file.EscapesSandbox)
                    {
                        await HashAsync(fileName, file.OpenAsync, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is ResourceNotFoundException or PathEscapesSandboxException or MalformedPayloadException)
            {
                // The artifacts plugin reports it; the certificate covers what was uploaded.
            }
        }

        return await ReadAdditionalDataAsync(result, cancellationToken).ConfigureAwait(false) && clash is null;
    }

    public async Task FinishedAsync(bool success, CancellationToken cancellationToken)
    {
        if (clash is not null)
        {
            return; // The task's file holds the name: a certificate beside it would vouch for what the task wrote there.
        }

        // The log is closed: its copy is final, and certified like every artifact.
        var logLength = task.Log.Length;
        await HashAsync(CertifiedLogName, _ => Task.FromResult(task.Log.OpenReader()), cancellationToken).ConfigureAwait(false);
        await task.Artifacts.UploadAsync(
            new ArtifactUpload { Name = CertifiedLogName, ContentType = "text/plain; charset=utf-8", ContentLength = logLength },
            _ => Task.FromResult(task.Log.OpenReader()),
            cancellationToken).ConfigureAwait(false);
        var certificate = Encoding.UTF8.GetBytes(Certificate().ToString(Formatting.Indented));
        var signature = key.Sign(certificate);
        await UploadAsync(CertificateName, "application/json", certificate, cancellationToken).ConfigureAwait(false);
        await UploadAsync(SignatureName, "application/octet-stream", signature, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The certificate in generic-worker's shape, with the task's additional data merged in where the worker's own keys leave room.</summary>
    internal JObject Certificate()
    {
        var artifacts = new JObject();
        foreach (var (name, sha256) in hashes)
        {
            artifacts[name] = new JObject { ["sha256"] = sha256 };
        }

        var certificate = new JObject
        {
            ["chainOfTrustVersion"] = 1,
            ["artifacts"] = artifacts,
            ["task"] = task.Task.DeepClone(),
            ["taskId"] = task.TaskId,
            ["runId"] = task.RunId,
            ["workerGroup"] = identity.WorkerGroup,
            ["workerId"] = identity.WorkerId,
            ["environment"] = environment.DeepClone(),
        };
        FillIn(certificate, additional);
        return certificate;
    }

    /// <summary>
    /// Adds the task's data where the worker's leaves room, as generic-worker merges it: a key only the task gives is
    /// added, two objects under the same key are merged the same way, and any other clash keeps the worker's value.
    /// </summary>
    internal static void FillIn(JObject worker, JObject task)
    {
        foreach (var (name, value) in task)
        {
            if (worker[name] is not { } own)
            {
                worker[name] = value?.DeepClone();
            }
            else if (own is JObject ownObject && value is JObject taskObject)
            {
                FillIn(ownObject, taskObject);
            }
        }
    }

    private static bool IsReserved(string name) => ReservedNames.Contains(name, StringComparer.Ordinal);

    private async Task HashAsync(string name, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        if (!name.All(c => c is >= '\x20' and <= '\x7e'))
        {
            return; // Not a valid artifact name: never uploaded.
        }

        Stream stream;
        try
        {
            stream = await open(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ResourceNotFoundException or PathEscapesSandboxException or UnauthorizedAccessException or MalformedPayloadException)
        {
            return; // An error artifact, not an uploaded file.
        }

        await using (stream.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            hashes[name] = Convert.ToHexStringLower(hash);
        }
    }

    private async Task<bool> ReadAdditionalDataAsync(IResultSet result, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = await result.OpenFileAsync(AdditionalDataFile, cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException)
        {
            return true;
        }
        catch (PathEscapesSandboxException)
        {
            task.Log.WriteErrorLine($"Chain of trust: {AdditionalDataFile} leads outside the task directory; it was not read");
            return false;
        }

        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            try
            {
                additional = JObject.Parse(await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
                return true;
            }
            catch (JsonReaderException e)
            {
                task.Log.WriteErrorLine($"Chain of trust: {AdditionalDataFile} must hold a JSON object: {e.Message}");
                return false;
            }
        }
    }

    private Task UploadAsync(string name, string contentType, byte[] content, CancellationToken cancellationToken) =>
        task.Artifacts.UploadAsync(
            new ArtifactUpload { Name = name, ContentType = contentType, ContentEncoding = "identity", ContentLength = content.Length },
            _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)),
            cancellationToken);
}
