using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;

namespace TcWorker.Cli.Commands;

internal static class VersionCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("version", "Print the versions of tc-worker, its contracts and the .NET runtime.");
        command.SetAction(_ =>
        {
            output.WriteLine($"tc-worker {Version}");
            output.WriteLine($"contract {ContractVersion.Current.ToString(2)}");
            output.WriteLine($"runtime {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
            return ExitCodes.Success;
        });
        return command;
    }

    public static string Version { get; } = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
