namespace TestAssets;

public sealed class YamlOldPluginProvider : YamlPluginProviderBase
{
    public override string Name => "yaml-old";
}
