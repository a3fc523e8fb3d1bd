// Usage: LocalQueueHost <dataFolder> <rootClientId> <rootAccessToken>
// Prints the root URL on one line, then serves until killed or stdin closes.
using TcWorker.LocalQueue;

await using var server = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = args[0], RootClientId = args[1], RootAccessToken = args[2] });
Console.WriteLine(server.RootUrl);
await Console.In.ReadToEndAsync();
