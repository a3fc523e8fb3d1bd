using System.CommandLine;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Shared;

namespace TcWorker.Cli.Commands;

/// <summary>
/// <c>tc-worker cot</c>: the chain of trust's keys. <c>keygen</c> writes a signing key in generic-worker's format
/// (the base64 of a 32-byte ed25519 seed, mode 600) and prints its public key; <c>verify</c> checks a
/// <c>chain-of-trust.json</c> against its <c>.sig</c> and a public key.
/// </summary>
internal static class CotCommand
{
    public static Command Create(TextWriter output)
    {
        var cot = new Command("cot", "Chain of trust keys and certificates (features.chainOfTrust): make a signing key, verify a certificate.");
        cot.Subcommands.Add(Keygen(output));
        cot.Subcommands.Add(Verify(output));
        return cot;
    }

    private static Command Keygen(TextWriter output)
    {
        var file = new Option<FileInfo>("--file") { Description = "The key file to write: the base64 of a new 32-byte ed25519 seed, generic-worker's format, mode 600. It must not exist yet.", Required = true };
        var command = new Command("keygen", "Make a chain of trust signing key (the chainoftrust plugin's ed25519SigningKeyLocation) and print its public key, base64, for the pool's verifiers.") { file };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            var seed = Ed25519KeyFile.NewSeed();
            try
            {
                using var stream = OwnerOnly.OpenFile(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(seed)));
            }
            catch (IOException) when (File.Exists(path))
            {
                throw new CliException(ExitCodes.CannotCreate, $"{path} exists already; keygen never replaces a key (remove it first if you mean to)");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.CannotCreate, $"cannot write the key file {path}: {e.Message}");
            }

            output.WriteLine(Convert.ToBase64String(Ed25519KeyFile.PublicKey(seed)));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Verify(TextWriter output)
    {
        var certificate = new Argument<FileInfo>("CERTIFICATE") { Description = "The chain-of-trust.json to check, as downloaded (its exact bytes are what was signed)." };
        var signature = new Option<FileInfo?>("--signature") { Description = "The detached signature (default: CERTIFICATE.sig)." };
        var publicKey = new Option<string?>("--public-key") { Description = "The worker pool's public key: base64 of its 32 bytes, as keygen prints it." };
        var keyFile = new Option<FileInfo?>("--key-file") { Description = "Or the signing key file itself (base64 of the seed), whose public key is used." };
        var command = new Command("verify", "Check a chain of trust certificate: its ed25519 signature against a public key, and that it is a chainOfTrustVersion 1 document. Prints the task, run, worker and artifact count; exit code 65 when it does not verify.")
        {
            certificate, signature, publicKey, keyFile,
        };
        command.SetAction(parse =>
        {
            var key = PublicKey(parse.GetValue(publicKey), parse.GetValue(keyFile));
            var documentPath = parse.GetValue(certificate)!.FullName;
            var signaturePath = parse.GetValue(signature)?.FullName ?? documentPath + ".sig";
            var document = Read(documentPath, "certificate");
            var signed = Read(signaturePath, "signature");
            if (signed.Length != Ed25519KeyFile.SignatureLength)
            {
                throw new CliException(ExitCodes.DataError, $"{signaturePath}: an ed25519 signature has {Ed25519KeyFile.SignatureLength} bytes, this file {signed.Length}; pass the raw .sig artifact, as downloaded");
            }

            if (!Ed25519KeyFile.Verify(key, document, signed))
            {
                throw new CliException(ExitCodes.DataError, $"{documentPath}: the signature {signaturePath} does not verify with the public key {Convert.ToBase64String(key)}: the certificate was changed, or signed with another key");
            }

            var summary = Summary(documentPath, document);
            output.WriteLine($"{documentPath}: the signature verifies; {summary}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static byte[] PublicKey(string? publicKey, FileInfo? keyFile)
    {
        if ((publicKey is null) == (keyFile is null))
        {
            throw new CliException(ExitCodes.Usage, "give the public key with either --public-key BASE64 or --key-file FILE");
        }

        try
        {
            return publicKey is not null
                ? Ed25519KeyFile.ParsePublicKey(publicKey)
                : Ed25519KeyFile.PublicKey(Ed25519KeyFile.ParseSeed(Encoding.ASCII.GetString(Read(keyFile!.FullName, "key file"))));
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.Usage, $"{(publicKey is not null ? "--public-key" : keyFile!.FullName)}: {e.Message}");
        }
    }

    private static byte[] Read(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.NoInput, $"cannot read the {what} {path}: {e.Message}");
        }
    }

    /// <summary>What a verified certificate says; a signed file that is not a version 1 certificate is an error.</summary>
    private static string Summary(string path, byte[] document)
    {
        JObject json;
        try
        {
            json = JObject.Parse(Encoding.UTF8.GetString(document));
        }
        catch (JsonReaderException e)
        {
            throw new CliException(ExitCodes.DataError, $"{path}: the signature verifies, but the file is not a JSON object: {e.Message}");
        }

        if (json["chainOfTrustVersion"] is not { Type: JTokenType.Integer } version || (int)version != 1)
        {
            throw new CliException(ExitCodes.DataError, $"{path}: the signature verifies, but $.chainOfTrustVersion is {json["chainOfTrustVersion"]?.ToString(Formatting.None) ?? "missing"}; this tool knows version 1");
        }

        var artifacts = (json["artifacts"] as JObject)?.Count ?? 0;
        return $"task {json["taskId"]} run {json["runId"]}, worker {json["workerGroup"]}/{json["workerId"]}, {artifacts} artifact{(artifacts == 1 ? string.Empty : "s")}";
    }
}
