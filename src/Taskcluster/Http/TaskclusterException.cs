using System.Net;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>
/// A failed Taskcluster call: an error response (<see cref="StatusCode"/> set, <see cref="Code"/>
/// from the body, e.g. <c>RequestConflict</c>), or a network error or timeout after the last
/// retry (<see cref="StatusCode"/> null, <see cref="Code"/> <c>NetworkError</c> or <c>RequestTimeout</c>).
/// </summary>
public sealed class TaskclusterException : Exception
{
    /// <summary>Creates an exception.</summary>
    public TaskclusterException(string message, HttpStatusCode? statusCode, string code, JObject? requestInfo = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
        RequestInfo = requestInfo;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public TaskclusterException(string message)
        : this(message, null, "Unknown")
    {
    }

    /// <summary>Creates an exception with a message and cause.</summary>
    public TaskclusterException(string message, Exception innerException)
        : this(message, null, "Unknown", null, innerException)
    {
    }

    /// <summary>Creates an exception with no details.</summary>
    public TaskclusterException()
        : this("Taskcluster call failed.")
    {
    }

    /// <summary>The HTTP status, or null when no response arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Taskcluster's error code (<c>InputError</c>, <c>AuthenticationFailed</c>, <c>InsufficientScopes</c>, <c>ResourceNotFound</c>, <c>RequestConflict</c>, ...), <c>NetworkError</c>, <c>RequestTimeout</c>, <c>HttpError</c> for an error body that is not a Taskcluster error, or <c>InvalidResponse</c> for a success body that is not the expected JSON.</summary>
    public string Code { get; }

    /// <summary>The error body's <c>requestInfo</c>, if any.</summary>
    public JObject? RequestInfo { get; }
}
