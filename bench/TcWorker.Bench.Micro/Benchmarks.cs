using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Schemas;
using TcWorker.Runtime.Tasks;
using TcWorker.Taskcluster;
using TcWorker.Taskcluster.Hawk;

namespace TcWorker.Bench.Micro;

/// <summary>Signing one request: every queue call of a task run pays it.</summary>
[MemoryDiagnoser]
public class HawkBenchmarks
{
    private readonly TaskclusterCredentials credentials = new("static/bench-root", "bench-root-token-0123456789abcdefghijklmnopqr");
    private readonly Uri uri = new("http://127.0.0.1:4000/api/queue/v1/task/fN1SbArXTPSVFNUvaOlinQ/runs/0/completed");
    private readonly string payloadHash = Convert.ToBase64String(SHA256.HashData("{\"workerGroup\":\"bench\",\"workerId\":\"w1\"}"u8));

    [Benchmark]
    public string SignWithoutPayload() => HawkSigner.CreateAuthorizationHeader(credentials, "POST", uri, DateTimeOffset.UtcNow);

    [Benchmark]
    public string SignWithPayloadHash() => HawkSigner.CreateAuthorizationHeader(credentials, "POST", uri, DateTimeOffset.UtcNow, payloadHash);
}

/// <summary>Validating a task payload against a composed payload schema: every task run pays it once.</summary>
[MemoryDiagnoser]
public class SchemaBenchmarks
{
    private static readonly JObject Schema = JObject.Parse("""
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["command", "maxRunTime"],
          "properties": {
            "command": { "type": "array", "minItems": 1, "items": { "type": "array", "minItems": 1, "items": { "type": "string" } } },
            "env": { "type": "object", "additionalProperties": { "type": "string" } },
            "maxRunTime": { "type": "integer", "minimum": 1, "maximum": 86400 },
            "artifacts": { "type": "array", "items": { "type": "object", "required": ["name", "path", "type"],
              "properties": { "name": { "type": "string" }, "path": { "type": "string" }, "type": { "enum": ["file", "directory"] }, "expires": { "type": "string", "format": "date-time" } } } },
            "onExitStatus": { "type": "object", "properties": { "retry": { "type": "array", "items": { "type": "integer" } } } }
          }
        }
        """);

    private static readonly JObject Valid = JObject.Parse("""
        { "command": [["sh", "-c", "make -j8 && make test"]], "env": { "CI": "1", "LANG": "C.UTF-8" }, "maxRunTime": 3600,
          "artifacts": [{ "name": "public/build", "path": "out", "type": "directory" }], "onExitStatus": { "retry": [75] } }
        """);

    private static readonly JObject Invalid = JObject.Parse("""{ "command": "make", "env": { "CI": 1 }, "maxRunTime": -1, "extra": true }""");

    private readonly SchemaValidator validator = SchemaValidator.Create(Schema);

    [Benchmark]
    public int ValidPayload() => validator.Validate(Valid).Count;

    [Benchmark]
    public int InvalidPayload() => validator.Validate(Invalid).Count;
}

/// <summary>Log fan-out: 1 MiB written in 4 KiB chunks while a number of live readers follow it to the end.</summary>
[MemoryDiagnoser]
public class TaskLogBenchmarks
{
    private readonly byte[] chunk = new byte[4096];
    private string folder = string.Empty;

    [Params(1, 4)]
    public int Readers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        folder = Directory.CreateTempSubdirectory("tcw-micro-").FullName;
        Array.Fill(chunk, (byte)'x');
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [Benchmark]
    public async Task<long> WriteOneMiBWithLiveReaders()
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N"));
        long total = 0;
        await using (var log = new TaskLog(path))
        {
            var readers = Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
            {
                await using var reader = log.OpenReader();
                var buffer = new byte[16384];
                long read = 0;
                int n;
                while ((n = await reader.ReadAsync(buffer)) > 0)
                {
                    read += n;
                }

                return read;
            })).ToArray();
            for (var i = 0; i < 256; i++)
            {
                await log.WriteAsync(chunk);
            }

            await log.CloseAsync();
            foreach (var reader in readers)
            {
                total += await reader;
            }
        }

        File.Delete(path);
        return total;
    }
}

/// <summary>
/// The secretmask plugin's filter over 1 MiB of typical log lines holding a few secrets, against the
/// same bytes copied unmasked: the cost of masking per MiB of task log.
/// </summary>
[MemoryDiagnoser]
public class SecretMaskBenchmarks
{
    private const int Chunk = 16 * 1024;
    private static readonly string[] Secrets = ["ghp_0123456789abcdefghijABCDEFGHIJ012345", "hunter2-but-longer-password", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "line-one-of-a-key\nline-two-of-a-key"];
    private readonly byte[] log = MakeLog();
    private readonly System.Buffers.ArrayBufferWriter<byte> output = new(2 << 20);

    [Benchmark(Baseline = true, Description = "1 MiB of log, unmasked (copied)")]
    public int Unmasked()
    {
        output.ResetWrittenCount();
        for (var at = 0; at < log.Length; at += Chunk)
        {
            var chunk = log.AsSpan(at, Math.Min(Chunk, log.Length - at));
            chunk.CopyTo(output.GetSpan(chunk.Length));
            output.Advance(chunk.Length);
        }

        return output.WrittenCount;
    }

    [Benchmark(Description = "1 MiB of log, masked (5 secrets)")]
    public int Masked()
    {
        output.ResetWrittenCount();
        var filter = new TcWorker.Plugins.SecretMask.TaskSecretFilter(Secrets, () => null);
        for (var at = 0; at < log.Length; at += Chunk)
        {
            filter.Transform(log.AsSpan(at, Math.Min(Chunk, log.Length - at)), output);
        }

        filter.Flush(output);
        return output.WrittenCount;
    }

    private static byte[] MakeLog()
    {
        var random = new Random(4711);
        var text = new System.Text.StringBuilder(1 << 20);
        var line = 0;
        while (text.Length < 1 << 20)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"[{line:D6}] compiling src/module_{random.Next(1000)}.c -> obj/module.o: ok, {random.Next(100000)} bytes");
            if (++line % 500 == 0)
            {
                text.Append(" token=").Append(Secrets[random.Next(Secrets.Length)]);
            }

            text.Append('\n');
        }

        return System.Text.Encoding.UTF8.GetBytes(text.ToString(0, 1 << 20));
    }
}
