namespace TcWorker.Engines;

/// <summary>An engine's answer to <see cref="IEngine.CheckHealthAsync"/>. Immutable.</summary>
public sealed class EngineHealth
{
    private EngineHealth(bool isHealthy, string? reason)
    {
        IsHealthy = isHealthy;
        Reason = reason;
    }

    /// <summary>The engine can take tasks.</summary>
    public static EngineHealth Healthy { get; } = new(true, null);

    /// <summary>Whether the engine can take tasks.</summary>
    public bool IsHealthy { get; }

    /// <summary>Why the engine cannot take tasks, for the worker's log and worker-runner; null when healthy.</summary>
    public string? Reason { get; }

    /// <summary>The engine cannot take tasks now.</summary>
    /// <param name="reason">Why, in words an operator can act on (e.g. <c>the Docker daemon at unix:///var/run/docker.sock does not answer</c>).</param>
    /// <returns>An unhealthy answer.</returns>
    public static EngineHealth Unhealthy(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new EngineHealth(false, reason);
    }

    /// <inheritdoc />
    public override string ToString() => IsHealthy ? "healthy" : "unhealthy: " + Reason;
}
