using Microsoft.Extensions.DependencyInjection;
using TcWorker.Runtime.Discovery;
using Moq;
using TcWorker.Runtime.Hosting;

namespace TcWorker.Runtime.Tests.Discovery;

public sealed class PluginFolderScannerTests
{
    private static readonly Lazy<ComponentRegistry> Registry = new(() => BuildRegistry());

    private static ComponentRegistry BuildRegistry(Action<ITcWorkerBuilder>? register = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddTcWorker(o =>
        {
            o.IncludeDefaultPluginDirectory = false;
            o.PluginDirectories.Add(TestAssetFolders.Root);
        });
        register?.Invoke(builder);
        return services.BuildServiceProvider().GetRequiredService<ComponentRegistry>();
    }

    private static ComponentDescriptor FromFolder(ComponentRegistry registry, string folder) =>
        Assert.Single(registry.Components, c => c.Source == TestAssetFolders.Folder(folder));

    [Fact]
    public void Two_plugins_with_two_versions_of_one_private_dependency_both_work_in_one_process()
    {
        var registry = Registry.Value;
        Assert.True(registry.TryGetPlugin("yaml-old", out var oldProvider, out var oldError), oldError);
        Assert.True(registry.TryGetPlugin("yaml-new", out var newProvider, out var newError), newError);

        var env = new Mock<TcWorker.Workers.IWorkerEnvironment>().Object;
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var oldDocs = oldProvider!.Create(new TcWorker.Plugins.PluginOptions { Config = [], Environment = env, Logger = logger }).Documentation.Single().Content;
        var newDocs = newProvider!.Create(new TcWorker.Plugins.PluginOptions { Config = [], Environment = env, Logger = logger }).Documentation.Single().Content;

        Assert.StartsWith("YamlDotNet 13.", oldDocs, StringComparison.Ordinal);
        Assert.StartsWith("YamlDotNet 16.", newDocs, StringComparison.Ordinal);
        Assert.EndsWith("answer: 42", oldDocs, StringComparison.Ordinal);
        Assert.EndsWith("answer: 42", newDocs, StringComparison.Ordinal);

        // The host keeps its own version.
        Assert.Equal(18, typeof(YamlDotNet.Serialization.ISerializer).Assembly.GetName().Version!.Major);
    }

    [Fact]
    public void Plugin_types_come_from_isolated_load_contexts_but_share_the_contracts()
    {
        Assert.True(Registry.Value.TryGetPlugin("yaml-old", out var provider, out _));
        var pluginContext = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(provider!.GetType().Assembly);
        Assert.NotSame(System.Runtime.Loader.AssemblyLoadContext.Default, pluginContext);
        Assert.IsAssignableFrom<TcWorker.Plugins.IPluginProvider>(provider);
    }

    [Fact]
    public void A_plugin_built_against_another_contract_major_version_is_refused_with_the_versions()
    {
        var component = FromFolder(Registry.Value, "ContractV2Plugin");
        Assert.False(component.IsLoaded);
        Assert.Equal(new Version(2, 0), component.ContractVersion);
        Assert.Contains("TestAssets.ContractV2Plugin.dll was built against contract version 2.0", component.Error, StringComparison.Ordinal);
        Assert.Contains("this worker speaks 1.0", component.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_provider_whose_constructor_throws_is_reported_with_folder_assembly_and_cause()
    {
        var component = FromFolder(Registry.Value, "ThrowingCtor");
        Assert.False(component.IsLoaded);
        Assert.Equal(ComponentKind.Engine, component.Kind);
        Assert.Contains("TestAssets.ThrowingCtor.dll", component.Error, StringComparison.Ordinal);
        Assert.Contains("TestAssets.ThrowingEngineProvider", component.Error, StringComparison.Ordinal);
        Assert.Contains("the license file /etc/throwing.lic is missing", component.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_folders_with_the_same_name_are_both_refused_and_each_names_the_other()
    {
        var twins = Registry.Value.Components.Where(c => c.Name == "twin").ToList();
        Assert.Equal(2, twins.Count);
        Assert.All(twins, twin =>
        {
            Assert.False(twin.IsLoaded);
            Assert.Contains(TestAssetFolders.Folder("TwinA"), twin.Error, StringComparison.Ordinal);
            Assert.Contains(TestAssetFolders.Folder("TwinB"), twin.Error, StringComparison.Ordinal);
        });
        Assert.False(Registry.Value.TryGetPlugin("twin", out _, out var error));
        Assert.Contains("provided more than once", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_a_provider_is_reported()
    {
        var component = FromFolder(Registry.Value, "NoProvider");
        Assert.False(component.IsLoaded);
        Assert.Contains("TestAssets.NoProvider.dll has no public class implementing IEngineProvider or IPluginProvider", component.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_built_on_the_contracts_beside_a_provider_is_no_error_even_without_a_deps_file()
    {
        var root = Directory.CreateTempSubdirectory("tcw-scan-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "Echo"));
            foreach (var (asset, file) in new[] { ("EchoEngine", "TestAssets.EchoEngine.dll"), ("NoProvider", "TestAssets.NoProvider.dll") })
            {
                File.Copy(Path.Combine(TestAssetFolders.Folder(asset), file), Path.Combine(folder.FullName, file));
            }

            var component = Assert.Single(new PluginFolderScanner(new McMasterPluginAssemblyLoader()).Scan([root.FullName]));
            Assert.True(component.IsLoaded, component.Error);
            Assert.Equal(ComponentKind.Engine, component.Kind);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_folder_with_no_assembly_referencing_the_contracts_is_reported()
    {
        var root = Directory.CreateTempSubdirectory("tcw-scan-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "Stray"));
            File.WriteAllText(Path.Combine(folder.FullName, "readme.txt"), "not a plugin");
            File.Copy(typeof(Newtonsoft.Json.JsonConvert).Assembly.Location, Path.Combine(folder.FullName, "Newtonsoft.Json.dll"));
            var found = new PluginFolderScanner(new McMasterPluginAssemblyLoader()).Scan([root.FullName]);
            var component = Assert.Single(found);
            Assert.Equal("stray", component.Name);
            Assert.Contains("no assembly in the folder references TcWorker.Abstractions", component.Error, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_loaded_engine_carries_name_kind_version_contract_and_source()
    {
        var component = FromFolder(Registry.Value, "EchoEngine");
        Assert.True(component.IsLoaded, component.Error);
        Assert.Equal("echo", component.Name);
        Assert.Equal(ComponentKind.Engine, component.Kind);
        Assert.Equal(new Version(1, 0), component.ContractVersion);
        Assert.False(string.IsNullOrEmpty(component.Version));
        Assert.EndsWith("TestAssets.EchoEngine.dll", component.AssemblyPath, StringComparison.Ordinal);
    }

    [Fact]
    public void In_code_registrations_join_the_same_registry_and_clash_with_folders_on_a_name()
    {
        var registry = BuildRegistry(b => b.AddEngine<InCodeEchoProvider>().AddPlugin<InCodePluginProvider>().AddPlugin<InCodePluginProvider>());
        var inCode = Assert.Single(registry.Components, c => c.Name == "in-code-plugin");
        Assert.True(inCode.IsLoaded);
        Assert.Equal(ComponentDescriptor.InCodeSource, inCode.Source);

        Assert.False(registry.TryGetEngine("echo", out _, out var error));
        Assert.Contains("in-code registration", error, StringComparison.Ordinal);
        Assert.Contains(TestAssetFolders.Folder("EchoEngine"), error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_lists_what_is_available_and_the_folders_that_failed()
    {
        Assert.False(Registry.Value.TryGetEngine("docker", out _, out var error));
        Assert.Contains("there is no engine named 'docker'; available engines: echo, lifecycle", error, StringComparison.Ordinal);
        Assert.Contains("ContractV2Plugin", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_plugin_directory_is_ignored()
    {
        var found = new PluginFolderScanner(new McMasterPluginAssemblyLoader()).Scan([Path.Combine(Path.GetTempPath(), "tcw-does-not-exist-" + Guid.NewGuid())]);
        Assert.Empty(found);
    }

    public sealed class InCodeEchoProvider : TcWorker.Engines.IEngineProvider
    {
        public string Name => "echo";

        public Newtonsoft.Json.Linq.JObject ConfigSchema => [];

        public TcWorker.Engines.IEngine Create(TcWorker.Engines.EngineOptions options) => throw new NotSupportedException();
    }

    public sealed class InCodePluginProvider : TcWorker.Plugins.IPluginProvider
    {
        public string Name => "in-code-plugin";

        public Newtonsoft.Json.Linq.JObject ConfigSchema => [];

        public TcWorker.Plugins.IPlugin Create(TcWorker.Plugins.PluginOptions options) => throw new NotSupportedException();
    }
}
