using System.Net;
using System.Net.Sockets;

namespace TcWorker.LocalQueue.Tests;

/// <summary>A queue that cannot start leaves nothing behind. Changes TMPDIR, so it runs alone.</summary>
[Collection(AmbientEnvironmentCollection.Name)]
public sealed class FailedStartTests
{
    [Fact]
    public async Task A_start_on_a_port_in_use_fails_and_deletes_its_temporary_data_folder()
    {
        var temp = Directory.CreateTempSubdirectory("tcw-failed-start-").FullName;
        var saved = Environment.GetEnvironmentVariable("TMPDIR");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        Environment.SetEnvironmentVariable("TMPDIR", temp);
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => LocalQueueServer.StartAsync(new LocalQueueOptions { ListenEndPoint = (IPEndPoint)taken.LocalEndpoint }));
            Assert.Contains("address already in use", error.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp));

            // And a start that works, in the same place, makes its folder there: the check above looked where it should.
            await using (var started = await LocalQueueServer.StartAsync())
            {
                Assert.Single(Directory.EnumerateDirectories(temp, "tc-local-queue-*"));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", saved);
            Directory.Delete(temp, recursive: true);
        }
    }
}
