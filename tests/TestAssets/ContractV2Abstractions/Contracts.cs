namespace TcWorker.Plugins;

public interface IPluginProvider
{
    string Name { get; }
}
