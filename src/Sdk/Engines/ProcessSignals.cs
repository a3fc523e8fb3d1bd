using System.Runtime.InteropServices;

namespace TcWorker.Engines;

/// <summary>The libc calls of process containment: signals and the child subreaper flag (Linux).</summary>
internal static partial class ProcessSignals
{
    public const int Kill = 9;
    public const int Terminate = 15;
    public const int Continue = 18;
    private const int SetChildSubreaper = 36;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone or not ours.</summary>
    public static bool Send(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    /// <summary>
    /// Makes this process a child subreaper: orphans among its descendants are re-parented to it instead of to init,
    /// so that it can reap them (PR_SET_CHILD_SUBREAPER). Returns false when the kernel refuses.
    /// </summary>
    public static bool BecomeSubreaper() => SysPrctl(SetChildSubreaper, 1, 0, 0, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int SysPrctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
