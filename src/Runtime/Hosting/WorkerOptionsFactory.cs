using Microsoft.Extensions.Options;
using TcWorker.Runtime.Configuration;
using TcWorker.Runtime.Discovery;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// Binds <see cref="WorkerOptions"/> from the worker config. The whole config is validated first,
/// against the schema composed from the registry's engines and plugins, because a document that does
/// not validate has no meaning to bind: every problem is listed at once in one
/// <see cref="OptionsValidationException"/> (ValidateOnStart reports it before anything starts).
/// </summary>
internal sealed class WorkerOptionsFactory(WorkerConfig config, ComponentRegistry registry) : IOptionsFactory<WorkerOptions>
{
    public WorkerOptions Create(string name)
    {
        var problems = WorkerHost.Problems(config, registry);
        return problems.Count > 0
            ? throw new OptionsValidationException(name, typeof(WorkerOptions), problems)
            : WorkerOptions.FromConfig(config);
    }
}
