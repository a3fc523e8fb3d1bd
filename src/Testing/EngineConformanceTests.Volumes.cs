using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines;
using TcWorker.Errors;
using Xunit;

namespace TcWorker.Testing;

/// <content>The cases of volumes: kept across tasks, held by one sandbox at a time, read-only, built.</content>
public abstract partial class EngineConformanceTests
{
    /// <summary>What one task writes to a volume another task reads; reading an empty volume fails.</summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public Task AVolumeKeepsWhatATaskWrote() => AssertVolumeStepsAsync(
        (v => v.CheckPayload, false, false, "Checking an empty volume succeeded."),
        (v => v.WritePayload, false, true, "Writing to the volume failed."),
        (v => v.CheckPayload, false, true, "What was written is not in the volume."));

    /// <summary>
    /// A read-only volume can be read but not written: the write fails (unless the case says the engine cannot refuse
    /// it), and in any case does not reach the volume.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public Task AReadOnlyVolumeRefusesWrites() => AssertVolumeStepsAsync(
        (v => v.WritePayload, true, Volumes is { ReadOnlyWritesFail: false } ? null : false, "Writing to a read-only volume succeeded."),
        (v => v.CheckPayload, false, false, "What was written to a read-only mount reached the volume."),
        (v => v.WritePayload, false, true, "Writing to the volume failed."),
        (v => v.CheckPayload, true, true, "Reading a read-only volume failed."));

    /// <summary>
    /// A volume is attached to one sandbox at a time: attaching it while an unstarted builder or an undisposed sandbox
    /// (even one whose task ended) holds it is an <see cref="InvalidOperationException"/>; disposing the holder frees it.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AVolumeIsAttachedToOneSandboxAtATime()
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var volume = await Engine.CreateVolumeAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        await using (volume.ConfigureAwait(false))
        {
            var mount = new VolumeMount { MountPoint = volumes.MountPoint, Volume = volume };
            var holder = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
            await using (holder.ConfigureAwait(false))
            {
                holder.AttachVolume(mount);
                await AssertAttachingFailsAsync(mount, "an unstarted builder").ConfigureAwait(false);
            }

            var (sandbox, task) = await StartAsync(SilentPayload(), b => b.AttachVolume(mount)).ConfigureAwait(false);
            await using (sandbox.ConfigureAwait(false))
            {
                var result = await sandbox.WaitForResultAsync().WaitAsync(Timeout).ConfigureAwait(false);
                await using (result.ConfigureAwait(false))
                {
                    Assert.True(result.Success, "The silent payload with a volume did not succeed:\n" + task.LogText);
                    await AssertAttachingFailsAsync(mount, "a sandbox whose task ended but that is not disposed").ConfigureAwait(false);
                }
            }

            var next = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
            await using (next.ConfigureAwait(false))
            {
                next.AttachVolume(mount);
            }
        }
    }

    /// <summary>
    /// A volume written with <c>IEngine.CreateVolumeBuilderAsync</c> (<see cref="BuiltVolumeLayout"/>: a file with a
    /// mode, a folder with a time set before its content, a symbolic link, a hard link) is seen as built by a task, on a
    /// writable and on a read-only mount; <see cref="VolumesCase.CheckBuiltPayload"/> fails on an empty volume.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task ABuiltVolumeIsSeenAsBuilt()
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var check = volumes.CheckBuiltPayload ?? throw new InvalidOperationException(
            $"The engine declares EngineFeatures.Volumes, but {GetType().Name}'s Volumes has no CheckBuiltPayload.");
        var builder = await Engine.CreateVolumeBuilderAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        IVolume built;
        await using (builder.ConfigureAwait(false))
        {
            await WriteBuiltLayoutAsync(builder).ConfigureAwait(false);
            built = await builder.BuildAsync().WaitAsync(Timeout).ConfigureAwait(false);
        }

        await using (built.ConfigureAwait(false))
        {
            foreach (var readOnly in new[] { false, true })
            {
                await AssertRunsOnVolumeAsync(volumes, check, built, readOnly, true, $"The built volume was not seen as built (read-only: {readOnly}).").ConfigureAwait(false);
            }
        }

        var empty = await Engine.CreateVolumeAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        await using (empty.ConfigureAwait(false))
        {
            await AssertRunsOnVolumeAsync(volumes, check, empty, false, false, "CheckBuiltPayload succeeded on an empty volume: it checks nothing.").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A volume builder refuses, with <see cref="PathEscapesSandboxException"/>, every path that leads outside the volume:
    /// <c>..</c>, absolute paths, and paths through symbolic links written earlier that point out; a link that stays
    /// inside may be written through.
    /// </summary>
    /// <returns>When checked.</returns>
    [SkippableFact]
    public async Task AVolumeBuilderRefusesPathsThatLeaveTheVolume()
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var builder = await Engine.CreateVolumeBuilderAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        await using (builder.ConfigureAwait(false))
        {
            await builder.WriteSymbolicLinkAsync("out", "/").ConfigureAwait(false);
            await builder.WriteSymbolicLinkAsync("up", "..").ConfigureAwait(false);
            await builder.WriteFolderAsync("inside").ConfigureAwait(false);
            await builder.WriteSymbolicLinkAsync("in", "inside").ConfigureAwait(false);
            var refused = new (string Path, Func<Task> Write)[]
            {
                ("../x", () => builder.WriteFileAsync("../x", Stream.Null)),
                ("/tmp/x", () => builder.WriteFileAsync("/tmp/x", Stream.Null)),
                ("inside/../../x", () => builder.WriteFileAsync("inside/../../x", Stream.Null)),
                ("out/tmp/x", () => builder.WriteFileAsync("out/tmp/x", Stream.Null)),
                ("up/x", () => builder.WriteFileAsync("up/x", Stream.Null)),
                ("out/tmp (folder)", () => builder.WriteFolderAsync("out/tmp")),
                ("up/link (symbolic link)", () => builder.WriteSymbolicLinkAsync("up/link", "x")),
                ("hard link to out/etc/passwd", () => builder.WriteHardLinkAsync("passwd", "out/etc/passwd")),
            };
            foreach (var (path, write) in refused)
            {
                var error = await Record.ExceptionAsync(write).ConfigureAwait(false);
                Assert.True(error is PathEscapesSandboxException, $"Writing '{path}' threw {error?.GetType().Name ?? "nothing"}, not PathEscapesSandboxException.");
            }

            await builder.WriteFileAsync("in/inside.txt", new MemoryStream("inside"u8.ToArray())).ConfigureAwait(false);
        }
    }

    private static async Task WriteBuiltLayoutAsync(IVolumeBuilder builder)
    {
        // The folder's time is given before its content is written: the builder must apply it after.
        await builder.WriteFolderAsync(BuiltVolumeLayout.FolderPath, new VolumeEntryOptions { LastWriteTime = BuiltVolumeLayout.LastWriteTime }).ConfigureAwait(false);
        await builder.WriteFileAsync(BuiltVolumeLayout.DataPath, Text(BuiltVolumeLayout.DataText), new VolumeEntryOptions
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            LastWriteTime = BuiltVolumeLayout.LastWriteTime,
        }).ConfigureAwait(false);
        await builder.WriteFileAsync(BuiltVolumeLayout.ToolPath, Text(BuiltVolumeLayout.ToolText), new VolumeEntryOptions { Mode = BuiltVolumeLayout.ToolMode }).ConfigureAwait(false);
        await builder.WriteSymbolicLinkAsync(BuiltVolumeLayout.SymbolicLinkPath, BuiltVolumeLayout.SymbolicLinkTarget).ConfigureAwait(false);
        await builder.WriteHardLinkAsync(BuiltVolumeLayout.HardLinkPath, BuiltVolumeLayout.DataPath).ConfigureAwait(false);

        static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));
    }

    private async Task AssertAttachingFailsAsync(VolumeMount mount, string holder)
    {
        var other = await CreateBuilderAsync(SilentPayload()).ConfigureAwait(false);
        await using (other.ConfigureAwait(false))
        {
            var error = Record.Exception(() => other.AttachVolume(mount));
            Assert.True(error?.GetType() == typeof(InvalidOperationException), $"Attaching a volume that {holder} holds threw {error?.GetType().Name ?? "nothing"}, not InvalidOperationException.");
        }
    }

    /// <summary>Runs <paramref name="payload"/> with the volume attached; a null outcome is not checked.</summary>
    private async Task AssertRunsOnVolumeAsync(VolumesCase volumes, JObject payload, IVolume volume, bool readOnly, bool? succeeds, string otherwise)
    {
        var (result, task) = await RunAsync(payload, b => b.AttachVolume(new VolumeMount { MountPoint = volumes.MountPoint, Volume = volume, ReadOnly = readOnly })).ConfigureAwait(false);
        await using (result.ConfigureAwait(false))
        {
            Assert.True(succeeds is not { } expected || result.Success == expected, otherwise + "\n" + task.LogText);
        }
    }

    /// <summary>Runs the steps one after the other on one new volume, each in a sandbox of its own.</summary>
    private async Task AssertVolumeStepsAsync(params (Func<VolumesCase, JObject> Payload, bool ReadOnly, bool? Succeeds, string Otherwise)[] steps)
    {
        var volumes = Required(EngineFeatures.Volumes, Volumes, nameof(Volumes));
        var volume = await Engine.CreateVolumeAsync(new VolumeOptions { Config = volumes.VolumeOptions }).WaitAsync(Timeout).ConfigureAwait(false);
        await using (volume.ConfigureAwait(false))
        {
            foreach (var (payload, readOnly, succeeds, otherwise) in steps)
            {
                await AssertRunsOnVolumeAsync(volumes, payload(volumes), volume, readOnly, succeeds, otherwise).ConfigureAwait(false);
            }
        }
    }
}
