using System.Net;

namespace TcWorker.LocalQueue.Http;

/// <summary>A request error with the status and code the real queue answers with.</summary>
internal sealed class QueueError : Exception
{
    public QueueError(HttpStatusCode status, string code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public QueueError()
        : this(HttpStatusCode.InternalServerError, "InternalServerError", "Internal error")
    {
    }

    public QueueError(string message)
        : this(HttpStatusCode.BadRequest, "InputError", message)
    {
    }

    public QueueError(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = HttpStatusCode.InternalServerError;
        Code = "InternalServerError";
    }

    public HttpStatusCode Status { get; }

    public string Code { get; }

    public static QueueError Input(string message) => new(HttpStatusCode.BadRequest, "InputError", message);

    public static QueueError Validation(string message) => new(HttpStatusCode.BadRequest, "InputValidationError", message);

    public static QueueError Arguments(string message) => new(HttpStatusCode.BadRequest, "InvalidRequestArguments", message);

    public static QueueError Malformed(string message) => new(HttpStatusCode.BadRequest, "MalformedPayload", message);

    public static QueueError NotFound(string message) => new(HttpStatusCode.NotFound, "ResourceNotFound", message);

    public static QueueError Conflict(string message) => new(HttpStatusCode.Conflict, "RequestConflict", message);

    public static QueueError Auth(string message) => new(HttpStatusCode.Unauthorized, "AuthenticationFailed", message);

    public static QueueError Scopes(string message) => new(HttpStatusCode.Forbidden, "InsufficientScopes", message);

    public static QueueError TooLarge(string message) => new(HttpStatusCode.RequestEntityTooLarge, "InputTooLarge", message);
}
