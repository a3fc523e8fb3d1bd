namespace TcWorker.Cli.Doctor;

/// <summary>How a check of <c>tc-worker doctor</c> came out.</summary>
internal enum DoctorStatus
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of <c>tc-worker doctor</c>: what was checked, what was found, and how to fix it when it is not ok.</summary>
internal sealed record DoctorCheck(DoctorStatus Status, string Name, string Finding, string? Hint = null)
{
    public static DoctorCheck Ok(string name, string finding) => new(DoctorStatus.Ok, name, finding);

    public static DoctorCheck Warn(string name, string finding, string hint) => new(DoctorStatus.Warn, name, finding, hint);

    public static DoctorCheck Fail(string name, string finding, string hint) => new(DoctorStatus.Fail, name, finding, hint);

    public override string ToString() =>
        $"{Status.ToString().ToLowerInvariant(),-4} {Name}: {Finding}" + (Hint is null ? string.Empty : $"{Environment.NewLine}     fix: {Hint}");
}
