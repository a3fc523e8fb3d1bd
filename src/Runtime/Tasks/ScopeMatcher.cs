namespace TcWorker.Runtime.Tasks;

/// <summary>Taskcluster's scope satisfaction: a scope ending in <c>*</c> satisfies every scope with that prefix.</summary>
internal static class ScopeMatcher
{
    /// <summary>Whether <paramref name="held"/> satisfies every scope of at least one of <paramref name="scopeSets"/>.</summary>
    public static bool Satisfies(IReadOnlyList<string> held, IReadOnlyList<IReadOnlyList<string>> scopeSets) =>
        scopeSets.Any(set => set.All(required => held.Any(scope => Covers(scope, required))));

    private static bool Covers(string scope, string required) =>
        scope.EndsWith('*')
            ? required.StartsWith(scope.AsSpan(0, scope.Length - 1), StringComparison.Ordinal)
            : string.Equals(scope, required, StringComparison.Ordinal);
}
