using Xunit;

namespace TcWorker.Testing;

/// <summary>xunit v3's <see cref="IAsyncLifetime"/> returns value tasks; the kit's set-up and clean-up are the same.</summary>
public abstract partial class EngineConformanceTests
{
    /// <inheritdoc />
    ValueTask IAsyncLifetime.InitializeAsync() => new(InitializeAsync());

    /// <inheritdoc />
    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
