using System.Diagnostics;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>A task that fills its disk: a 16 MiB tmpfs mounted where the native engine keeps task directories. Needs root.</summary>
public sealed class DiskFullTests
{
    [SkippableFact]
    public async Task A_task_that_fills_the_disk_fails_with_no_space_left_its_space_is_freed_and_the_worker_carries_on()
    {
        Skip.IfNot(Environment.UserName == "root" && OperatingSystem.IsLinux(), "Mounting a small tmpfs needs root on Linux.");
        await using var deployment = await Deployment.StartAsync();
        var config = deployment.Config(tasks: 2);
        var tasksFolder = Path.Combine((string)config["temporaryFolder"]!, "tcw-native");
        Directory.CreateDirectory(tasksFolder);
        await File.WriteAllTextAsync(Path.Combine((string)config["temporaryFolder"]!, TcWorker.Runtime.Workers.TemporaryStorage.MarkerFileName), string.Empty);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=16m,mode=0711", "tcw-disk-full-test", tasksFolder);
        try
        {
            var filler = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sh", "-c", "head -c 64m /dev/zero > big && echo still-here") } });
            var next = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sh", "-c", "head -c 8m /dev/zero > fits && echo fits") } });
            using var lifetime = new WorkerLifetime();

            Assert.Equal(WorkerStopReason.TaskLimitReached, await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(90)));

            Assert.Equal("failed", (await deployment.StatusAsync(filler)).Runs[0].State);
            var log = (await ArtifactTests.FetchAsync(deployment, filler, "public/logs/live_backing.log")).Body;
            Assert.Contains("No space left on device", log, StringComparison.Ordinal);
            Assert.DoesNotContain("still-here", log.Replace("&& echo still-here", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal("completed", (await deployment.StatusAsync(next)).Runs[0].State);
            Assert.Contains("fits", (await ArtifactTests.FetchAsync(deployment, next, "public/logs/live_backing.log")).Body, StringComparison.Ordinal);

            // Everything the tasks wrote is gone with their directories.
            var drive = new DriveInfo(tasksFolder);
            Assert.True(drive.TotalSize - drive.AvailableFreeSpace < 1 << 20, $"{drive.TotalSize - drive.AvailableFreeSpace} bytes still used on the tmpfs");
        }
        finally
        {
            await RunAsync("umount", "-l", tasksFolder);
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }
}
