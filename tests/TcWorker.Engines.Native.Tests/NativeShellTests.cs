using System.Text;
using Newtonsoft.Json.Linq;
using TcWorker.Engines.Testing;

namespace TcWorker.Engines.Native.Tests;

/// <summary>Shells in running native tasks: a terminal as the task user, in the task directory, with the task's environment. Needs root.</summary>
public sealed class NativeShellTests() : EngineTestBase(
    () => new NativeEngineProvider(),
    () => HostProcesses.IsRoot ? new JObject { ["createUser"] = true, ["killGracePeriodSeconds"] = 0.5 } : null)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task A_terminal_shell_runs_as_the_task_user_in_the_task_directory_and_follows_resizes()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Per-task users need root on Linux (useradd); run the tests as root to cover them.");
        var task = Harness.NewTask();
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = NativeEngineTests.Shell("echo ready; exec sleep 600") });
        builder.SetEnvironmentVariable("SHELL_TEST_VARIABLE", "from-the-task");
        var directory = builder.WorkingDirectory!;
        await using var sandbox = await builder.StartAsync();
        await using var shell = await sandbox.OpenShellAsync(["sh"], tty: true);
        await shell.SetSizeAsync(123, 45);
        var output = new StringBuilder();
        var reading = ReadAllAsync(shell.StandardOutput, output);

        await shell.StandardInput.WriteAsync(Encoding.UTF8.GetBytes("echo \"user=$(id -un) dir=$(pwd) var=$SHELL_TEST_VARIABLE term=$TERM\"; stty size; tty\n"));
        await WaitForAsync(output, "\n45 123", reading);
        await shell.SetSizeAsync(100, 30);
        await shell.StandardInput.WriteAsync(Encoding.UTF8.GetBytes("stty size; exit 7\n"));
        Assert.Equal(7, await shell.WaitAsync().WaitAsync(Timeout));
        await reading.WaitAsync(Timeout);

        var text = output.ToString();
        Assert.Matches($"user=tcw-[^ ]+ dir={directory} var=from-the-task term=xterm-256color", text);
        Assert.Contains("\n30 100", text, StringComparison.Ordinal);
        Assert.Contains("/dev/pts/", text, StringComparison.Ordinal);
        await sandbox.KillAsync();
        await (await sandbox.WaitForResultAsync()).DisposeAsync();
    }

    [SkippableFact]
    public async Task Open_shells_end_with_the_task_and_no_shell_opens_after_it()
    {
        Skip.IfNot(HostProcesses.IsRoot, "Per-task users need root on Linux (useradd); run the tests as root to cover them.");
        var task = Harness.NewTask();
        await using var builder = await Harness.Engine.CreateSandboxBuilderAsync(new SandboxOptions { Task = task, Payload = NativeEngineTests.Shell("sleep 600") });
        await using var sandbox = await builder.StartAsync();
        await using var shell = await sandbox.OpenShellAsync([], tty: true);
        await sandbox.KillAsync();
        await using var result = await sandbox.WaitForResultAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => shell.WaitAsync().WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.OpenShellAsync([], tty: true));
    }

    private static async Task ReadAllAsync(Stream stream, StringBuilder output)
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            lock (output)
            {
                output.Append(Encoding.UTF8.GetString(buffer, 0, read).Replace("\r", string.Empty, StringComparison.Ordinal));
            }
        }
    }

    private static async Task WaitForAsync(StringBuilder output, string text, Task reading)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline && !reading.IsCompleted)
        {
            lock (output)
            {
                if (output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Task.Delay(20);
        }

        lock (output)
        {
            Assert.Fail($"'{text}' did not come; the shell printed: {output}");
        }
    }
}
