namespace TcWorker.Runtime.Schemas;

/// <summary>One way a JSON document breaks its schema.</summary>
/// <param name="Path">Where, as a JSON path from the document root (<c>$.command[0]</c>).</param>
/// <param name="Message">What rule is broken, with the offending value where it helps.</param>
public sealed record SchemaViolation(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
