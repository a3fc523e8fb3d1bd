using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Hosting;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

// In this namespace so that hosts find AddHostedWorker without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs the worker as a hosted service of the .NET Generic Host.</summary>
public static class TcWorkerHostingExtensions
{
    /// <summary>
    /// Adds the worker as a hosted service that runs from <paramref name="config"/>, with the engines and
    /// plugins of the registry <c>AddTcWorker()</c> built. <see cref="WorkerOptions"/> are bound from the
    /// config's <c>worker</c> section through <c>IOptions</c>; the whole config is validated when the host
    /// starts (ValidateOnStart), and an <see cref="OptionsValidationException"/> then lists every problem
    /// at once. Starting the host starts every engine before it counts as started; the host stops when the
    /// worker ends by itself, and <see cref="WorkerOutcome"/> (a singleton) then gives the exit code. The
    /// worker bounds its own shutdown (<c>worker.shutdownGracePeriod</c>), so the host's shutdown timeout
    /// is set to infinite. When <c>WATCHDOG_USEC</c> is set and a systemd notifier is registered
    /// (<c>AddSystemd()</c>), <c>WATCHDOG=1</c> is sent while the claim loop moves. Idempotent.
    /// </summary>
    /// <param name="builder">The builder <c>AddTcWorker()</c> returned.</param>
    /// <param name="config">The loaded worker config.</param>
    /// <returns>The same builder.</returns>
    public static ITcWorkerBuilder AddHostedWorker(this ITcWorkerBuilder builder, WorkerConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        var services = builder.Services;
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkerLifetime>();
        services.TryAddSingleton<WorkerOutcome>();
        services.TryAddSingleton(sp => new ClaimLoopProgress(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IOptionsFactory<WorkerOptions>, WorkerOptionsFactory>();
        services.AddOptions<WorkerOptions>().ValidateOnStart();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = Timeout.InfiniteTimeSpan);
        services.AddHostedService<WorkerService>();
        services.AddHostedService<SystemdWatchdog>();
        return builder;
    }
}
