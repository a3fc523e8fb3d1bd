namespace TestAssets;

public sealed class YamlNewPluginProvider : YamlPluginProviderBase
{
    public override string Name => "yaml-new";
}
