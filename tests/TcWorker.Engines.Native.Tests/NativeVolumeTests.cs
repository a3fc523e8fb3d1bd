using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Shared;
using TcWorker.Engines.Testing;
using TcWorker.Errors;

namespace TcWorker.Engines.Native.Tests;

/// <summary>Volumes of the native engine, with the task running as the worker's user.</summary>
public sealed class NativeVolumeTests() : EngineTestBase(() => new NativeEngineProvider(), () => OperatingSystem.IsLinux() ? new JObject { ["killGracePeriodSeconds"] = 0.5 } : null)
{
    private const string LinuxOnly = "Volumes of the native engine are Linux only.";

    [SkippableFact]
    public async Task Mount_points_outside_the_task_directory_nested_or_taken_are_refused_naming_them()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), LinuxOnly);
        await using var first = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        await using var second = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        await using var third = await Harness.Engine.CreateVolumeAsync(new VolumeOptions());
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = NativeEngineTests.Shell("true") });

        var outside = Assert.Throws<MalformedPayloadException>(() => builder.AttachVolume(new VolumeMount { MountPoint = "/etc/cache", Volume = first }));
        Assert.Contains("'/etc/cache' is outside the task directory", outside.Message, StringComparison.Ordinal);
        var up = Assert.Throws<MalformedPayloadException>(() => builder.AttachVolume(new VolumeMount { MountPoint = "a/../../cache", Volume = first }));
        Assert.Contains("a/../../cache", up.Message, StringComparison.Ordinal);
        var sub = Assert.Throws<MalformedPayloadException>(() => builder.AttachVolume(new VolumeMount { MountPoint = "c", Volume = first, SubPath = "../x" }));
        Assert.Contains("'../x'", sub.Message, StringComparison.Ordinal);

        builder.AttachVolume(new VolumeMount { MountPoint = "a/", Volume = first });
        var nested = Assert.Throws<MalformedPayloadException>(() => builder.AttachVolume(new VolumeMount { MountPoint = "a/b", Volume = second }));
        Assert.Contains("'a' and 'a/b' are nested", nested.Message, StringComparison.Ordinal);
        Assert.Throws<NamingConflictException>(() => builder.AttachVolume(new VolumeMount { MountPoint = builder.WorkingDirectory + "/a", Volume = third }));

        // The refused mounts took nothing: the volumes are free for another sandbox.
        await using var other = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = NativeEngineTests.Shell("true") });
        other.AttachVolume(new VolumeMount { MountPoint = "b", Volume = second });
        Assert.Throws<InvalidOperationException>(() => other.AttachVolume(new VolumeMount { MountPoint = "c", Volume = first }));
    }

    [SkippableFact]
    public async Task A_sub_path_mounts_one_file_writable_or_as_a_copy_and_an_absolute_mount_point_inside_the_task_directory_works()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), LinuxOnly);
        var volume = await BuildAsync(("conf/settings.txt", "v1"));
        await using (volume)
        {
            var (result, log) = await Harness.RunAsync(
                NativeEngineTests.Shell("[ -f settings.txt ] && [ -f ro.txt ] && cat settings.txt && echo v2 > settings.txt && cat tools/cache/conf/settings.txt && echo changed > ro.txt"),
                builder =>
                {
                    builder.AttachVolume(new VolumeMount { MountPoint = "settings.txt", Volume = volume, SubPath = "conf/settings.txt" });
                    builder.AttachVolume(new VolumeMount { MountPoint = builder.WorkingDirectory + "/tools/cache", Volume = volume });
                    builder.AttachVolume(new VolumeMount { MountPoint = "ro.txt", Volume = volume, SubPath = "conf/settings.txt", ReadOnly = true });
                    return Task.CompletedTask;
                });
            await using (result)
            {
                Assert.True(result.Success, log.LogText);
                Assert.Contains("v1\nv2\n", log.LogText, StringComparison.Ordinal);
            }

            Assert.Equal("v2\n", await File.ReadAllTextAsync(Path.Combine(((HostVolume)volume).Path, "conf/settings.txt")));
        }
    }

    [SkippableFact]
    public async Task A_sub_path_that_is_missing_or_leads_outside_the_volume_fails_the_start_naming_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), LinuxOnly);
        var volume = await BuildAsync(("x", "x"));
        await using (volume)
        {
            await using (var builder = await Harness.Engine.CreateVolumeBuilderAsync(new VolumeOptions()))
            {
                await builder.WriteSymbolicLinkAsync("out", "/etc");
                await using var withLink = await builder.BuildAsync();
                var escape = await StartWithAsync(new VolumeMount { MountPoint = "m", Volume = withLink, SubPath = "out/passwd", ReadOnly = true });
                Assert.Contains("'out/passwd' leads outside the volume", escape.Message, StringComparison.Ordinal);
            }

            var missing = await StartWithAsync(new VolumeMount { MountPoint = "m", Volume = volume, SubPath = "missing" });
            Assert.Contains("'missing' is not in the volume", missing.Message, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Volume_ids_are_checked_and_unique_the_size_is_measured_and_disposal_deletes_the_content()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), LinuxOnly);
        Assert.Contains("'bad/id' is not valid", (await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.Engine.CreateVolumeAsync(new VolumeOptions { Id = "bad/id" }))).Message, StringComparison.Ordinal);
        Assert.Contains("'size'", (await Assert.ThrowsAsync<MalformedPayloadException>(() => Harness.Engine.CreateVolumeAsync(new VolumeOptions { Config = new JObject { ["size"] = 1 } }))).Message, StringComparison.Ordinal);

        var volume = await Harness.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-a" });
        Assert.Equal("cache-a", volume.Id);
        await Assert.ThrowsAsync<NamingConflictException>(() => Harness.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-a" }));
        var emptySize = await volume.GetSizeAsync();
        var (result, log) = await Harness.RunAsync(
            NativeEngineTests.Shell("head -c 200000 /dev/urandom > cache/blob && ln cache/blob cache/same && ln -s /etc cache/etc"),
            b =>
            {
                b.AttachVolume(new VolumeMount { MountPoint = "cache", Volume = volume });
                return Task.CompletedTask;
            });
        await using (result)
        {
            Assert.True(result.Success, log.LogText);
        }

        var size = await volume.GetSizeAsync();
        Assert.InRange(size - emptySize, 200000, 300000);
        var path = ((HostVolume)volume).Path;
        await volume.DisposeAsync();
        Assert.False(Directory.Exists(path));
        Assert.True(File.Exists("/etc/passwd"));
        await using var again = await Harness.Engine.CreateVolumeAsync(new VolumeOptions { Id = "cache-a" });
    }

    private async Task<IVolume> BuildAsync(params (string Path, string Text)[] files)
    {
        await using var builder = await Harness.Engine.CreateVolumeBuilderAsync(new VolumeOptions());
        foreach (var (path, text) in files)
        {
            await builder.WriteFileAsync(path, new MemoryStream(Encoding.UTF8.GetBytes(text + "\n")));
        }

        return await builder.BuildAsync();
    }

    private async Task<MalformedPayloadException> StartWithAsync(VolumeMount mount)
    {
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = Harness.NewTask(), Payload = NativeEngineTests.Shell("true") });
        builder.AttachVolume(mount);
        return await Assert.ThrowsAsync<MalformedPayloadException>(() => builder.StartAsync());
    }
}
