using TcWorker.Errors;

namespace TestAssets;

// References the contracts but provides no engine or plugin.
public static class Helper
{
    public static string Describe(ExceptionReason reason) => reason.ToWireString();
}
