using System.CommandLine;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Discovery;

namespace TcWorker.Cli.Commands;

internal static class PluginsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var directories = CommonOptions.PluginDirectories();
        var json = new Option<bool>("--json") { Description = "Print the list as JSON." };
        var command = new Command("plugins", "List every engine and plugin found (plugin folders and in-code registrations), with its version, contract version, source and load error, if any.")
        {
            directories,
            json,
        };
        command.SetAction(parse =>
        {
            var registry = CommonOptions.BuildRegistry(parse.GetValue(directories) ?? []);
            if (parse.GetValue(json))
            {
                output.WriteLine(ToJson(registry).ToString(Formatting.Indented));
            }
            else
            {
                WriteTable(output, registry);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static JArray ToJson(ComponentRegistry registry) => new(registry.Components.Select(c => new JObject
    {
        ["name"] = c.Name,
        ["kind"] = c.Kind?.ToString().ToLowerInvariant(),
        ["version"] = c.Version,
        ["contract"] = c.ContractVersion?.ToString(2),
        ["source"] = c.Source,
        ["assembly"] = c.AssemblyPath,
        ["status"] = c.IsLoaded ? "loaded" : "error",
        ["error"] = c.Error,
    }));

    private static void WriteTable(TextWriter output, ComponentRegistry registry)
    {
        if (registry.Components.Count == 0)
        {
            output.WriteLine("No engines or plugins found.");
            return;
        }

        string[] header = ["NAME", "KIND", "VERSION", "CONTRACT", "STATUS", "SOURCE"];
        var rows = registry.Components.Select(c => new[]
        {
            c.Name,
            c.Kind?.ToString().ToLowerInvariant() ?? "?",
            ShortVersion(c.Version),
            c.ContractVersion?.ToString(2) ?? "?",
            c.IsLoaded ? "loaded" : "error",
            c.Source,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd();
        output.WriteLine(Line(header));
        foreach (var (row, component) in rows.Zip(registry.Components))
        {
            output.WriteLine(Line(row));
            if (component.Error is not null)
            {
                output.WriteLine($"    error: {component.Error}");
            }
        }
    }

    // "1.2.3+abcdef..." is long: keep the commit's first 8 characters.
    private static string ShortVersion(string? version) => version switch
    {
        null => "?",
        _ when version.IndexOf('+', StringComparison.Ordinal) is var plus and >= 0 && version.Length > plus + 9 => version[..(plus + 9)],
        _ => version,
    };
}
