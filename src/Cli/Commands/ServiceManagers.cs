using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace TcWorker.Cli.Commands;

/// <summary>The service managers <c>tc-worker work</c> runs under: systemd (Type=notify) and the Windows service control manager.</summary>
internal static class ServiceManagers
{
    public static void Add(IServiceCollection services)
    {
        // systemd's own test looks at the parent process; a unit with Type=notify always sets
        // NOTIFY_SOCKET, also when the worker is started through a wrapper (env, sudo, a shell).
        if (SystemdHelpers.IsSystemdService())
        {
            services.AddSystemd();
        }
        else if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        if (OperatingSystem.IsWindows())
        {
            AddWindowsService(services);
        }
    }

    // Apart, so that other systems never load the Windows service assemblies. Only takes effect when
    // started by the Windows service control manager.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddWindowsService(IServiceCollection services) =>
        services.AddWindowsService(options => options.ServiceName = "tc-worker");
}
