namespace TcWorker;

/// <summary>
/// One section of an engine's or plugin's documentation, written in Markdown. <c>tc-worker docs</c>
/// renders the sections of the configured engine and plugins for task authors and operators.
/// </summary>
/// <param name="Title">The section title, without Markdown heading marks.</param>
/// <param name="Content">The section body in Markdown.</param>
public sealed record DocSection(string Title, string Content);
