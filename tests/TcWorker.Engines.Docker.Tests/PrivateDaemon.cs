using System.Diagnostics;
using Docker.DotNet;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>
/// A dockerd of a test's own (its own data root, exec root and socket, no bridge, no iptables), for
/// tests that kill the daemon: the shared one is never touched. A restart after a kill starts a fresh
/// daemon on the same socket (a killed daemon's folders cannot be reused at once). Disposing it stops
/// the daemon, kills what the killed one left running (its containerd shims and their containers),
/// unmounts and deletes its folders.
/// </summary>
internal sealed class PrivateDaemon : IAsyncDisposable
{
    private readonly string folder;
    private readonly Queue<string> output = new();
    private readonly List<string> containers = [];
    private Process? process;
    private int generation;

    private readonly IReadOnlyList<string> extraArguments;

    private PrivateDaemon(string folder, IReadOnlyList<string> extraArguments)
    {
        this.folder = folder;
        this.extraArguments = extraArguments;
    }

    /// <summary>The daemon's own folder (for certificates and the like).</summary>
    public string Folder => folder;

    public string Endpoint => $"unix://{folder}/docker.sock";

    /// <summary>Why a private daemon cannot run here; null when it can.</summary>
    public static string? UnavailableReason => Environment.UserName != "root" ? "a private dockerd needs root"
        : !File.Exists("/usr/sbin/dockerd") && !File.Exists("/usr/bin/dockerd") ? "dockerd is not installed"
        : null;

    /// <param name="extraArguments">More dockerd arguments, given the daemon's folder (say, a TLS listener and its certificates).</param>
    public static async Task<PrivateDaemon> StartAsync(Func<string, IReadOnlyList<string>>? extraArguments = null)
    {
        // Short: containerd's sockets live under the exec root, and socket paths are limited to 108 bytes.
        var folder = Directory.CreateTempSubdirectory("tcw-dd-").FullName;
        var daemon = new PrivateDaemon(folder, extraArguments?.Invoke(folder) ?? []);
        try
        {
            await daemon.StartProcessAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the daemon at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        process!.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Starts a daemon again on the same socket.</summary>
    public Task RestartAsync()
    {
        generation++;
        return StartProcessAsync();
    }

    /// <summary>Names a container whose processes disposal must kill if the daemon that ran it was killed.</summary>
    public void Track(string containerId) => containers.Add(containerId);

    public DockerClient CreateClient() => new DockerClientBuilder().WithEndpoint(new Uri(Endpoint)).Build();

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            // SIGTERM: dockerd stops its containers and its containerd, and unmounts what it mounted.
            using (Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process?.Dispose();
        KillLeftovers();
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(folder + "/", StringComparison.Ordinal)).OrderDescending(StringComparer.Ordinal))
        {
            using var umount = Process.Start("umount", ["-l", mount]);
            await umount.WaitForExitAsync();
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills the shims of the killed daemon's containerd (they name its folder) and the processes of the tracked containers.</summary>
    private void KillLeftovers()
    {
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)))
        {
            try
            {
                var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
                var cgroup = File.ReadAllText($"/proc/{pid}/cgroup");
                if (cmdline.Contains(folder, StringComparison.Ordinal) || containers.Any(c => cgroup.Contains(c, StringComparison.Ordinal)))
                {
                    using var victim = Process.GetProcessById(int.Parse(pid!, System.Globalization.CultureInfo.InvariantCulture));
                    victim.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile.
            }
        }
    }

    private async Task StartProcessAsync()
    {
        process?.Dispose();
        var start = new ProcessStartInfo("dockerd",
        [
            "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--data-root", Path.Combine(folder, $"data{generation}"), "--exec-root", Path.Combine(folder, $"x{generation}"),
            "--pidfile", Path.Combine(folder, $"pid{generation}"), "-H", Endpoint,
            .. extraArguments,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        process = Process.Start(start) ?? throw new InvalidOperationException("dockerd did not start.");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = CreateClient();
        for (var i = 0; ; i++)
        {
            try
            {
                await client.System.PingAsync();
                return;
            }
            catch (Exception) when (i < 300 && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Exception e)
            {
                lock (output)
                {
                    throw new InvalidOperationException("dockerd did not answer:\n" + string.Join("\n", output), e);
                }
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null || line.Contains("level=info", StringComparison.Ordinal))
        {
            return;
        }

        lock (output)
        {
            output.Enqueue(line);
            if (output.Count > 20)
            {
                output.Dequeue();
            }
        }
    }
}
