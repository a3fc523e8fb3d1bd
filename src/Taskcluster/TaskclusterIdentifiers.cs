using Newtonsoft.Json;

namespace TcWorker.Taskcluster;

/// <summary>
/// The character rules of Taskcluster's identifiers, as the official schemas state them: scopes
/// and artifact names are printable ASCII (<c>^[\x20-\x7e]*$</c>), client ids
/// <c>^[A-Za-z0-9!@/:.+|_-]+$</c>.
/// </summary>
/// <remarks>
/// These rules are a security boundary, not a formality: a certificate's signature covers its
/// client id, issuer and scopes joined with newlines, so a newline inside any of them signs the
/// same text as a different list. Every string that becomes part of a scope or a certificate
/// must pass them before it is signed.
/// </remarks>
public static class TaskclusterIdentifiers
{
    /// <summary>True when <paramref name="scope"/> is printable ASCII (it may be empty, as the schema allows).</summary>
    public static bool IsValidScope(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return IsPrintableAscii(scope);
    }

    /// <summary>True when <paramref name="name"/> is a valid artifact or object name: one or more printable ASCII characters.</summary>
    public static bool IsValidArtifactName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length > 0 && IsPrintableAscii(name);
    }

    /// <summary>True when <paramref name="clientId"/> matches the auth service's client id pattern.</summary>
    public static bool IsValidClientId(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (clientId.Length == 0)
        {
            return false;
        }

        foreach (var c in clientId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('!' or '@' or '/' or ':' or '.' or '+' or '|' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws unless every scope is valid; the message quotes the first bad one with its control characters escaped.</summary>
    /// <exception cref="ArgumentException">A scope is not printable ASCII.</exception>
    public static void EnsureValidScopes(IEnumerable<string> scopes, string paramName)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (scope is null || !IsPrintableAscii(scope))
            {
                throw new ArgumentException($"Scope {Quote(scope)} is not a valid Taskcluster scope: scopes are printable ASCII (0x20 to 0x7E), without newlines.", paramName);
            }
        }
    }

    /// <summary>Throws unless <paramref name="clientId"/> is a valid client id.</summary>
    /// <exception cref="ArgumentException">The client id does not match <c>^[A-Za-z0-9!@/:.+|_-]+$</c>.</exception>
    public static void EnsureValidClientId(string? clientId, string paramName)
    {
        if (clientId is null || !IsValidClientId(clientId))
        {
            throw new ArgumentException($"Client id {Quote(clientId)} is not valid: client ids match ^[A-Za-z0-9!@/:.+|_-]+$.", paramName);
        }
    }

    /// <summary>The string as a JSON string literal with every non-printable character escaped, for error messages.</summary>
    public static string Quote(string? value) =>
        value is null ? "null" : JsonConvert.ToString(value, '"', StringEscapeHandling.EscapeNonAscii);

    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
