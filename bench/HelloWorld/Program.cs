// No arguments: prints a line and exits (the start-up baseline).
// "hold N": prints "ready", waits for a line on stdin, starts N "sleep 600" children with their output
// read as a worker reads it, prints "spawned", waits for a line, kills them (the memory baseline).
using System.Diagnostics;
using System.Globalization;

if (args.Length == 0)
{
    Console.WriteLine("Hello, world!");
    return;
}

var count = int.Parse(args[1], CultureInfo.InvariantCulture);
Console.WriteLine("ready");
Console.ReadLine();
var children = new List<Process>();
for (var i = 0; i < count; i++)
{
    var start = new ProcessStartInfo("sleep", "600") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    var child = Process.Start(start)!;
    _ = child.StandardOutput.ReadToEndAsync();
    _ = child.StandardError.ReadToEndAsync();
    children.Add(child);
}

Console.WriteLine("spawned");
Console.ReadLine();
foreach (var child in children)
{
    child.Kill();
    child.WaitForExit();
}
