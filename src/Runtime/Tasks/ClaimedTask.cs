using Newtonsoft.Json.Linq;
using TcWorker.Tasks;

namespace TcWorker.Runtime.Tasks;

/// <summary>A task the worker has claimed: what a <see cref="TaskRun"/> starts from.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="RunId">The claimed run.</param>
/// <param name="Task">The task definition as the queue returned it.</param>
/// <param name="Credentials">The temporary credentials that came with the claim.</param>
public sealed record ClaimedTask(string TaskId, int RunId, JObject Task, TaskCredentials Credentials);
