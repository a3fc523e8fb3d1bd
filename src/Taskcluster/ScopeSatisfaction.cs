namespace TcWorker.Taskcluster;

/// <summary>
/// Taskcluster scope satisfaction: a scope ending in <c>*</c> satisfies every scope that starts
/// with what precedes the <c>*</c>; any other scope satisfies only itself. <c>assume:</c> scopes
/// follow the same rules (roles are not expanded here).
/// </summary>
public static class ScopeSatisfaction
{
    /// <summary>True when <paramref name="granted"/> satisfies the single <paramref name="required"/> scope.</summary>
    public static bool Satisfies(IEnumerable<string> granted, string required)
    {
        ArgumentNullException.ThrowIfNull(granted);
        ArgumentNullException.ThrowIfNull(required);
        foreach (var scope in granted)
        {
            if (scope == required || (scope.EndsWith('*') && required.StartsWith(scope.AsSpan(0, scope.Length - 1), StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="granted"/> satisfies every scope of <paramref name="required"/>.</summary>
    public static bool SatisfiesAll(IEnumerable<string> granted, IEnumerable<string> required)
    {
        ArgumentNullException.ThrowIfNull(granted);
        ArgumentNullException.ThrowIfNull(required);
        var grantedList = granted as IReadOnlyCollection<string> ?? granted.ToArray();
        return required.All(scope => Satisfies(grantedList, scope));
    }

    /// <summary>The scopes of <paramref name="required"/> that <paramref name="granted"/> does not satisfy.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> granted, IEnumerable<string> required)
    {
        ArgumentNullException.ThrowIfNull(granted);
        ArgumentNullException.ThrowIfNull(required);
        var grantedList = granted as IReadOnlyCollection<string> ?? granted.ToArray();
        return required.Where(scope => !Satisfies(grantedList, scope)).ToArray();
    }

    /// <summary>True when the scope is a valid Taskcluster scope (printable ASCII only); see <see cref="TaskclusterIdentifiers"/>.</summary>
    public static bool IsValidScope(string scope) => TaskclusterIdentifiers.IsValidScope(scope);
}
