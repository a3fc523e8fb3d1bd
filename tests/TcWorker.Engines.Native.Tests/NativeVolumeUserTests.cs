using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>Volumes of the native engine with <c>createUser</c>: handed from one task user to the next. Needs root.</summary>
public sealed class NativeVolumeUserTests() : EngineTestBase(
    () => new NativeEngineProvider(),
    () => HostProcesses.IsRoot ? new JObject { ["createUser"] = true, ["killGracePeriodSeconds"] = 0.5 } : null)
{
    private const string NeedsRoot = "Per-task users need root on Linux (useradd); run the tests as root to cover them.";

    [SkippableFact]
    public async Task A_writable_volume_passes_from_one_task_user_to_the_next_and_rests_with_the_worker_without_set_id_bits()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var volume = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        var path = ((HostVolume)volume).Path;

        var first = await RunAsync(volume, false, "id -u; echo one > cache/private; chmod 600 cache/private; mkdir cache/sub; cp /bin/true cache/sub/tool; chmod 4755 cache/sub/tool");
        var second = await RunAsync(volume, false, "id -u; cat cache/private; echo two >> cache/private; rm -r cache/sub");
        Assert.NotEqual(first.Split('\n')[1], second.Split('\n')[1]);
        Assert.Contains("one\n", second, StringComparison.Ordinal);
        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(Path.Combine(path, "private")));

        await RunAsync(volume, false, "cp /bin/true cache/tool; chmod 6755 cache/tool; mkdir -p cache/a/b; touch cache/a/b/c; chmod 777 cache/");
        var mapped = ((HostVolume)volume).MapsIds;

        // Idmapped: the volume rests with the rest owner inside a holder only the worker's user may enter; else with the worker's user.
        var gate = mapped ? Path.GetDirectoryName(path)! : path;
        Assert.Equal(HostVolume.OwnerFolderMode, UnixFiles.TryStatus(gate)!.Value.Mode);
        Assert.Equal(0, UnixFiles.TryStatus(gate)!.Value.Uid);
        var owner = mapped ? VolumeStore.RestOwnerId : 0;
        foreach (var entry in new[] { path, Path.Combine(path, "private"), Path.Combine(path, "tool"), Path.Combine(path, "a/b/c") })
        {
            var status = UnixFiles.TryStatus(entry)!.Value;
            Assert.Equal(owner, status.Uid);
            Assert.Equal(owner, status.Gid);
            if (!mapped)
            {
                Assert.Equal(UnixFileMode.None, status.Mode & EntryStatus.SetIdBits);
            }
        }

        // At rest, no task user can enter the volume.
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Commands(["sh", "-c", "ls \"$0\"", path]));
        await using (result)
        {
            Assert.False(result.Success, log.LogText);
            Assert.Contains("Permission denied", log.LogText, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task An_idmapped_volume_is_the_task_users_own_without_any_owner_change_on_disk_and_is_detached_after_the_run()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var volume = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        var host = (HostVolume)volume;
        Skip.IfNot(host.MapsIds, "This kernel or file system makes no idmapped mounts: writable volumes change owner instead (covered above).");
        await RunAsync(volume, false, "mkdir cache/d && echo one > cache/d/f && chmod 600 cache/d/f");
        var written = UnixFiles.TryStatus(Path.Combine(host.Path, "d/f"))!.Value;
        Assert.Equal(VolumeStore.RestOwnerId, written.Uid);
        Assert.Equal(VolumeStore.RestOwnerId, written.Gid);

        // The next task user sees the files as its own (and may change the mode), and the mount is nosuid.
        var log = await RunAsync(volume, false,
            "test \"$(stat -c %u cache/d/f)\" = \"$(id -u)\" && echo two >> cache/d/f && chmod 640 cache/d/f && grep -q nosuid /proc/self/mountinfo && echo OWN");
        Assert.Contains("OWN", log, StringComparison.Ordinal);
        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(Path.Combine(host.Path, "d/f")));
        Assert.Equal(VolumeStore.RestOwnerId, UnixFiles.TryStatus(Path.Combine(host.Path, "d/f"))!.Value.Uid);
        var storage = Harness.Environment.Environment.Storage.Root.TrimEnd('/') + "/";
        Assert.DoesNotContain((await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')[4]), p => p.StartsWith(storage, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_read_only_volume_is_readable_but_not_writable_by_the_task_user()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var volume = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        await RunAsync(volume, false, "echo secret > cache/private; chmod 600 cache/private; mkdir cache/dir; cp /bin/true cache/dir/tool");

        var log = await RunAsync(volume, true,
            "cat cache/private && cache/dir/tool && ! (echo x > cache/private) 2>/dev/null && ! touch cache/new 2>/dev/null && ! rm -f cache/dir/tool 2>/dev/null && ! chmod 777 cache/private 2>/dev/null && echo refused-all");
        Assert.Contains("secret\n", log, StringComparison.Ordinal);
        Assert.Contains("refused-all", log, StringComparison.Ordinal);
        Assert.Equal("secret\n", await File.ReadAllTextAsync(Path.Combine(((HostVolume)volume).Path, "private")));
    }

    [SkippableFact]
    public async Task A_file_hard_linked_from_outside_the_volume_is_neither_handed_to_a_task_user_nor_copied_for_one()
    {
        Skip.IfNot(HostProcesses.IsRoot, NeedsRoot);
        await using var volume = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());

        // What a task could leave where fs.protected_hardlinks is off: a link to a file of the worker's user.
        var outside = Harness.Environment.Environment.Storage.NewFilePath("outside");
        await File.WriteAllTextAsync(outside, "worker-secret\n");
        UnixFiles.SetMode(outside, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        UnixFiles.HardLink(outside, Path.Combine(((HostVolume)volume).Path, "linked"));

        await RunAsync(volume, false, "! cat cache/linked 2>/dev/null && ! (echo x >> cache/linked) 2>/dev/null");
        await RunAsync(volume, true, "[ ! -e cache/linked ]");
        Assert.Equal(0, UnixFiles.TryStatus(outside)!.Value.Uid);
        Assert.Equal("worker-secret\n", await File.ReadAllTextAsync(outside));
    }

    /// <summary>Runs a script with the volume at <c>cache</c>; it must succeed. Returns the log.</summary>
    private async Task<string> RunAsync(IVolume volume, bool readOnly, string script)
    {
        var (result, log) = await Harness.RunAsync(NativeEngineTests.Shell(script), b =>
        {
            b.AttachVolume(new VolumeMount { MountPoint = "cache", Volume = volume, ReadOnly = readOnly });
            return Task.CompletedTask;
        });
        await using (result)
        {
            Assert.True(result.Success, log.LogText);
            return log.LogText;
        }
    }
}
