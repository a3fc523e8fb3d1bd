using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using TcWorker.Runtime.Discovery;

namespace TcWorker.Runtime.Tests.Discovery;

/// <summary>
/// The minor version rule, with real builds on both sides: a component built against a newer minor version
/// of the contracts than the worker's is refused, and one built against an older minor version loads and
/// runs. ContractV11Abstractions is the contracts' own sources at version 1.1.
/// </summary>
public sealed class ContractMinorVersionTests
{
    [Fact]
    public void A_plugin_built_against_a_newer_minor_version_is_refused_naming_both_versions()
    {
        var services = new ServiceCollection();
        services.AddTcWorker(o =>
        {
            o.IncludeDefaultPluginDirectory = false;
            o.PluginDirectories.Add(TestAssetFolders.Root);
        });
        using var provider = services.BuildServiceProvider();
        var component = Assert.Single(provider.GetRequiredService<ComponentRegistry>().Components, c => c.Source == TestAssetFolders.Folder("ContractV11Plugin"));

        Assert.Equal(new Version(1, 0), ContractVersion.Current);
        Assert.False(component.IsLoaded);
        Assert.Equal(new Version(1, 1), component.ContractVersion);
        Assert.Contains("TestAssets.ContractV11Plugin.dll was built against contract version 1.1, but this worker speaks 1.0", component.Error, StringComparison.Ordinal);
        Assert.Null(component.PluginProvider);
    }

    [Fact]
    public async Task Components_built_against_1_0_load_and_run_a_task_in_a_host_that_speaks_1_1()
    {
        var host = typeof(ContractMinorVersionTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ContractV11Host").Value!;
        var start = new ProcessStartInfo("dotnet", [host]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"the 1.1 host failed:\n{output}\n{await stderr}");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("host contract 1.1", lines[0]);
        Assert.Contains("component mock Engine contract 1.0 loaded", lines);
        Assert.Contains("component success Plugin contract 1.0 loaded", lines);
        Assert.Equal("task completed", lines[^1]);
    }
}
