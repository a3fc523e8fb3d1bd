using System.Collections;
using Microsoft.AspNetCore.Http.Features;

namespace TcWorker.Engines;

/// <summary>The empty, read-only feature collection of engines that offer none.</summary>
internal sealed class EmptyFeatures : IFeatureCollection
{
    public static readonly EmptyFeatures Instance = new();

    public bool IsReadOnly => true;

    public int Revision => 0;

    public object? this[Type key]
    {
        get => null;
        set => throw new NotSupportedException("This feature collection is read-only.");
    }

    public TFeature? Get<TFeature>() => default;

    public void Set<TFeature>(TFeature? instance) => throw new NotSupportedException("This feature collection is read-only.");

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => Enumerable.Empty<KeyValuePair<Type, object>>().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
