using System.Net;
using Microsoft.AspNetCore.Http;
using System.Net.Sockets;
using TcWorker.Engines.Shared;

namespace TcWorker.Engines.Native.Tests;

/// <summary>Finding the owner of a loopback connection's client socket in the kernel's socket tables.</summary>
public sealed class LoopbackPeersTests
{
    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task The_owner_of_a_real_loopback_connection_is_this_process_user(string address)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The socket tables are Linux's /proc/net/tcp and tcp6.");
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        var server = (IPEndPoint)listener.LocalEndpoint;
        using var client = new TcpClient(server.AddressFamily);
        await client.ConnectAsync(server);
        using var accepted = await listener.AcceptTcpClientAsync();

        var local = (IPEndPoint)client.Client.LocalEndPoint!;
        Assert.Equal(Posix.EffectiveUserId(), LoopbackPeers.FindOwner(local, server));
        Assert.Null(LoopbackPeers.FindOwner(new IPEndPoint(IPAddress.Parse(address), 1), server));

        // Both ways agree: the kernel asked for the one socket, and the table that lists them all.
        Assert.True(LoopbackPeers.AskKernel(local, server, out var owner), "sock_diag did not answer");
        Assert.Equal(Posix.EffectiveUserId(), owner);
        Assert.True(LoopbackPeers.AskKernel(new IPEndPoint(IPAddress.Parse(address), 1), server, out var nobody));
        Assert.Null(nobody);
        Assert.Equal(Posix.EffectiveUserId(), LoopbackPeers.FindOwner(address == "::1" ? "/proc/net/tcp6" : "/proc/net/tcp", local, server));
    }

    [SkippableFact]
    public async Task A_proxy_with_an_owner_refuses_another_user_and_logs_it_without_its_url()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "Connecting as another user (setpriv) needs root on Linux.");
        var log = new ListLogger();
        await using var listener = new ProxyListener(log);
        await using var owned = await listener.AttachAsync("owned", context => context.Response.WriteAsync("served"), 65534, CancellationToken.None);
        await using var other = await listener.AttachAsync("other", context => context.Response.WriteAsync("served"), 12345, CancellationToken.None);

        // nobody (65534) owns the first; it is not the second's user. Root (this process) passes both.
        Assert.Equal("served 200", await CurlAsNobodyAsync(owned.Url));
        Assert.Equal(" 403", await CurlAsNobodyAsync(other.Url));
        using var http = new HttpClient();
        Assert.Equal("served", await http.GetStringAsync(other.Url));

        var refusal = Assert.Single(log.Lines, l => l.Contains("refused", StringComparison.Ordinal));
        Assert.Contains("'other'", refusal, StringComparison.Ordinal);
        Assert.Contains("user 65534", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(other.Url.AbsolutePath.Trim('/'), string.Join("\n", log.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_listed_table_gives_the_uid_of_the_matching_client_socket_only()
    {
        var table = Path.GetTempFileName();
        try
        {
            var loopback = BitConverter.IsLittleEndian ? "0100007F" : "7F000001";
            File.WriteAllLines(table,
            [
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                $"   0: {loopback}:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0",
                $"   1: {loopback}:1F90 {loopback}:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1",
                $"   2: {loopback}:C350 {loopback}:1F90 01 00000000:00000000 00:00000000 00000000  1234        0 3 1 0 20 4 30 10 -1",
            ]);
            var server = new IPEndPoint(IPAddress.Loopback, 0x1F90);
            var client = new IPEndPoint(IPAddress.Loopback, 0xC350);

            Assert.Equal(1234, LoopbackPeers.FindOwner(table, client, server));
            Assert.Equal(1234, LoopbackPeers.FindOwner(table, new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 0xC350), server));
            Assert.Null(LoopbackPeers.FindOwner(table, new IPEndPoint(IPAddress.Loopback, 0xC351), server));
            Assert.Null(LoopbackPeers.FindOwner(table + ".missing", client, server));
        }
        finally
        {
            File.Delete(table);
        }
    }

    private static async Task<string> CurlAsNobodyAsync(Uri url)
    {
        var start = new System.Diagnostics.ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-w", " %{http_code}", url.ToString()]) { RedirectStandardOutput = true };
        using var curl = System.Diagnostics.Process.Start(start)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        return output;
    }
}
