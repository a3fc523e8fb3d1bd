using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TcWorker.Engines;
using TcWorker.Plugins;

namespace TcWorker.Runtime.Discovery;

/// <summary>
/// Finds engines and plugins in plugin directories: each subfolder is one plugin folder holding a
/// main assembly (the one that references TcWorker.Abstractions, or the one its <c>.deps.json</c>
/// names) and its private dependencies. Every failure becomes a descriptor with an error naming the
/// folder and the assembly; nothing throws.
/// </summary>
internal sealed class PluginFolderScanner
{
    private readonly IPluginAssemblyLoader loader;
    private readonly Version runtimeContract;

    public PluginFolderScanner(IPluginAssemblyLoader loader, Version? runtimeContract = null)
    {
        this.loader = loader;
        this.runtimeContract = runtimeContract ?? ContractVersion.Current;
    }

    public IReadOnlyList<ComponentDescriptor> Scan(IEnumerable<string> directories)
    {
        var results = new List<ComponentDescriptor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in directories.Select(Path.GetFullPath))
        {
            if (!seen.Add(directory) || !Directory.Exists(directory))
            {
                continue;
            }

            foreach (var folder in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
            {
                results.AddRange(ScanFolder(folder));
            }
        }

        return results;
    }

    public IReadOnlyList<ComponentDescriptor> ScanFolder(string folder)
    {
        ComponentDescriptor Failed(string error, string? assembly = null, Version? contract = null) => new()
        {
            Name = Path.GetFileName(folder).ToLowerInvariant(),
            Source = folder,
            AssemblyPath = assembly,
            ContractVersion = contract,
            Error = error,
        };

        List<(string Path, Version Contract)> candidates;
        try
        {
            candidates = FindMainAssemblies(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [Failed($"the folder cannot be read: {e.Message}")];
        }

        if (candidates.Count == 0)
        {
            return [Failed($"no assembly in the folder references {ContractVersion.AssemblyName}, so it holds no engine or plugin provider")];
        }

        var results = new List<ComponentDescriptor>();
        var libraries = new List<ComponentDescriptor>();
        foreach (var (assemblyPath, contract) in candidates)
        {
            var file = Path.GetFileName(assemblyPath);
            if (!ContractVersion.IsCompatible(contract, runtimeContract))
            {
                results.Add(Failed(
                    $"{file} was built against contract version {contract.ToString(2)}, but this worker speaks {runtimeContract.ToString(2)}; rebuild it against {ContractVersion.AssemblyName} {runtimeContract.Major}.x (at most {runtimeContract.ToString(2)})",
                    assemblyPath,
                    contract));
                continue;
            }

            results.AddRange(LoadProviders(folder, assemblyPath, contract, Failed, libraries));
        }

        // An assembly that references the contracts but provides nothing is a library of the folder
        // (a helper package built on the contracts); it is an error only when nothing else provides.
        return results.Count > 0 ? results : libraries;
    }

    private IEnumerable<ComponentDescriptor> LoadProviders(
        string folder, string assemblyPath, Version contract, Func<string, string?, Version?, ComponentDescriptor> failed, List<ComponentDescriptor> libraries)
    {
        var file = Path.GetFileName(assemblyPath);
        Type[] types;
        Assembly assembly;
        try
        {
            assembly = loader.Load(assemblyPath);
            types = assembly.GetExportedTypes();
        }
        catch (Exception e)
        {
            return [failed($"{file} could not be loaded: {Flatten(e)}", assemblyPath, contract)];
        }

        var providerTypes = types
            .Where(t => t is { IsClass: true, IsAbstract: false } && (typeof(IEngineProvider).IsAssignableFrom(t) || typeof(IPluginProvider).IsAssignableFrom(t)))
            .ToList();
        if (providerTypes.Count == 0)
        {
            libraries.Add(failed($"{file} has no public class implementing {nameof(IEngineProvider)} or {nameof(IPluginProvider)}", assemblyPath, contract));
            return [];
        }

        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString();
        var results = new List<ComponentDescriptor>();
        foreach (var type in providerTypes)
        {
            var kind = typeof(IEngineProvider).IsAssignableFrom(type) ? ComponentKind.Engine : ComponentKind.Plugin;
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                results.Add(failed($"{file}: the provider {type.FullName} has no public parameterless constructor", assemblyPath, contract) with { Kind = kind });
                continue;
            }

            object provider;
            string name;
            try
            {
                provider = Activator.CreateInstance(type)!;
                name = provider is IEngineProvider engine ? engine.Name : ((IPluginProvider)provider).Name;
            }
            catch (Exception e)
            {
                results.Add(failed($"{file}: creating the provider {type.FullName} failed: {Flatten(e)}", assemblyPath, contract) with { Kind = kind });
                continue;
            }

            var descriptor = new ComponentDescriptor
            {
                Name = name,
                Kind = kind,
                Version = version,
                Source = folder,
                AssemblyPath = assemblyPath,
                ContractVersion = contract,
                EngineProvider = provider as IEngineProvider,
                PluginProvider = provider as IPluginProvider,
            };
            if (!System.Text.RegularExpressions.Regex.IsMatch(name ?? string.Empty, Configuration.RuntimeConfigSchema.ComponentNamePattern))
            {
                descriptor = descriptor with
                {
                    Name = name ?? Path.GetFileName(folder).ToLowerInvariant(),
                    Error = $"{file}: the provider {type.FullName} has the name '{name}', which does not match {Configuration.RuntimeConfigSchema.ComponentNamePattern}",
                    EngineProvider = null,
                    PluginProvider = null,
                };
            }

            results.Add(descriptor);
        }

        return results;
    }

    /// <summary>The main assembly candidates and the contract version each references.</summary>
    private static List<(string Path, Version Contract)> FindMainAssemblies(string folder)
    {
        var dlls = Directory.EnumerateFiles(folder, "*.dll").Order(StringComparer.Ordinal).ToList();
        var depsFiles = Directory.EnumerateFiles(folder, "*.deps.json").ToList();
        if (depsFiles.Count == 1)
        {
            var main = Path.Combine(folder, Path.GetFileName(depsFiles[0])[..^".deps.json".Length] + ".dll");
            if (File.Exists(main) && ReferencedContract(main) is { } version)
            {
                return [(main, version)];
            }
        }

        return dlls.Select(dll => (dll, ReferencedContract(dll))).Where(x => x.Item2 is not null).Select(x => (x.dll, x.Item2!)).ToList();
    }

    /// <summary>Reads, without loading it, which version of the contract assembly a file references.</summary>
    private static Version? ReferencedContract(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return null;
            }

            var metadata = pe.GetMetadataReader();
            if (metadata.IsAssembly && metadata.GetString(metadata.GetAssemblyDefinition().Name) == ContractVersion.AssemblyName)
            {
                return null;
            }

            foreach (var handle in metadata.AssemblyReferences)
            {
                var reference = metadata.GetAssemblyReference(handle);
                if (metadata.GetString(reference.Name) == ContractVersion.AssemblyName)
                {
                    return ContractVersion.Normalize(reference.Version);
                }
            }
        }
        catch (BadImageFormatException)
        {
            // A native library or another non-.NET file: not a candidate.
        }

        return null;
    }

    private static string Flatten(Exception e)
    {
        if (e is TargetInvocationException { InnerException: { } inner })
        {
            e = inner;
        }

        if (e is ReflectionTypeLoadException load)
        {
            return string.Join("; ", load.LoaderExceptions.OfType<Exception>().Select(x => x.Message).Distinct());
        }

        return $"{e.GetType().Name}: {e.Message}";
    }
}
