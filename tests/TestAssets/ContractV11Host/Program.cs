using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using TcWorker;
using TcWorker.Runtime.Discovery;
using TcWorker.Testing;

// Prints the contract version this process speaks and what it found in plugins/, then runs one task on
// the mock engine and the success plugin from there through the real worker and a local queue.
var plugins = Path.Combine(AppContext.BaseDirectory, "plugins");
Console.WriteLine($"host contract {ContractVersion.Current.ToString(2)}");

var services = new ServiceCollection();
services.AddTcWorker(options =>
{
    options.IncludeDefaultPluginDirectory = false;
    options.PluginDirectories.Add(plugins);
});
await using (var provider = services.BuildServiceProvider())
{
    foreach (var component in provider.GetRequiredService<ComponentRegistry>().Components.OrderBy(c => c.Name, StringComparer.Ordinal))
    {
        Console.WriteLine($"component {component.Name} {component.Kind} contract {component.ContractVersion?.ToString(2)} {(component.IsLoaded ? "loaded" : "error: " + component.Error)}");
    }
}

var harness = new WorkerHarness("engine: mock\nplugins: {success: {}}");
harness.PluginDirectories.Add(plugins);
var result = await harness.RunAsync(new WorkerCase
{
    Name = "a 1.0 engine in a 1.1 host",
    Tasks =
    [
        new WorkerCaseTask
        {
            Name = "hello",
            Payload = new JObject { ["function"] = "write-log", ["argument"] = "written by a 1.0 engine" },
            Expect = new TaskExpectation { Resolution = "completed", LogContains = ["written by a 1.0 engine"] },
        },
    ],
});
Console.WriteLine(result.Passed ? $"task {result["hello"].Resolution}" : result.Describe());
return result.Passed ? 0 : 1;
