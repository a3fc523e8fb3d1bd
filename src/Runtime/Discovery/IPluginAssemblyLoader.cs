using System.Reflection;
using McMaster.NETCore.Plugins;
using TcWorker.Engines;

namespace TcWorker.Runtime.Discovery;

/// <summary>
/// Loads a plugin folder's main assembly into a load context of its own. Behind this interface so
/// that the loading library can be replaced.
/// </summary>
internal interface IPluginAssemblyLoader
{
    /// <summary>Loads the assembly; the types of TcWorker.Abstractions (and what it exposes) are shared with the host.</summary>
    /// <param name="assemblyPath">The main assembly of a plugin folder.</param>
    /// <returns>The loaded assembly.</returns>
    Assembly Load(string assemblyPath);
}

/// <summary>Loads plugin folders with McMaster.NETCore.Plugins, one load context per folder.</summary>
internal sealed class McMasterPluginAssemblyLoader : IPluginAssemblyLoader
{
    // Sharing one type of the contract assembly shares the whole assembly and what it references
    // (Newtonsoft.Json, Microsoft.Extensions.*.Abstractions); ASP.NET Core comes from the shared framework.
    private static readonly Type[] SharedTypes = [typeof(IEngine), typeof(Newtonsoft.Json.Linq.JObject), typeof(Microsoft.Extensions.Logging.ILogger)];

    public Assembly Load(string assemblyPath)
    {
        // Only the shared types are unified with the host; every other dependency (even one the host
        // also has, in another version) stays private to the plugin's load context. Lazily: the
        // assemblies the shared ones reference are shared as the plugin asks for them, rather than
        // the whole graph loaded into the host up front for every folder (that cost ~40 framework
        // assemblies, from XML to System.Data, at every start-up and in the worker's memory).
        var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config =>
        {
            config.PreferSharedTypes = false;
            config.IsLazyLoaded = true;
        });
        return loader.LoadDefaultAssembly();
    }
}
