namespace TcWorker.Testing.Tests;

/// <summary>Runs kit cases by hand, outside xunit's discovery, to see how they end.</summary>
internal static class Kit
{
    public static async Task RunAsync<T>(T kit, Func<T, Task> test)
        where T : EngineConformanceTests
    {
        await kit.InitializeAsync();
        try
        {
            await test(kit);
        }
        finally
        {
            await kit.DisposeAsync();
        }
    }
}
