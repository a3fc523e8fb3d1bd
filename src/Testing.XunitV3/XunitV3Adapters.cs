using System.Runtime.CompilerServices;

// The kit's sources are TcWorker.Testing's, written for xunit v2 with Xunit.SkippableFact. xunit v3 skips
// at run time by itself (Assert.Skip from any test), so these stand-ins map the v2 names onto it. They are
// internal: a test project sees only xunit v3's own types.
namespace Xunit;

/// <summary>A fact that may skip itself at run time: under xunit v3, every fact may.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class SkippableFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
    : FactAttribute(sourceFilePath, sourceLineNumber);

/// <summary>A theory that may skip itself at run time: under xunit v3, every theory may.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class SkippableTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
    : TheoryAttribute(sourceFilePath, sourceLineNumber);

/// <summary>Skips the running test, as Xunit.SkippableFact's <c>Skip</c> does under xunit v2.</summary>
internal static class Skip
{
    /// <summary>Skips the running test with <paramref name="reason"/> when <paramref name="condition"/> holds.</summary>
    public static void If(bool condition, string? reason = null) => Assert.SkipWhen(condition, reason ?? "skipped");

    /// <summary>Skips the running test with <paramref name="reason"/> unless <paramref name="condition"/> holds.</summary>
    public static void IfNot(bool condition, string? reason = null) => Assert.SkipUnless(condition, reason ?? "skipped");
}
