using Newtonsoft.Json.Linq;

namespace TcWorker.Plugins.ChainOfTrust;

/// <summary>The file and folder artifacts a payload names, in generic-worker's shape (a list) or docker-worker's (an object keyed by name).</summary>
internal static class ArtifactList
{
    public static IEnumerable<(bool IsDirectory, string Path, string Name)> From(JToken? payload)
    {
        switch (payload?["artifacts"])
        {
            case JArray list:
                foreach (var item in list.OfType<JObject>())
                {
                    if (item.Value<string>("path") is { Length: > 0 } path)
                    {
                        yield return (item.Value<string>("type") == "directory", path, item.Value<string>("name") ?? path);
                    }
                }

                break;
            case JObject named:
                foreach (var (name, value) in named)
                {
                    if (value is JObject item && item.Value<string>("path") is { Length: > 0 } path)
                    {
                        yield return (item.Value<string>("type") == "directory", path, name);
                    }
                }

                break;
        }
    }
}
