namespace TcWorker.Cli.Tests;

/// <summary>
/// Builds and runs samples/CustomWorker, a worker binary that registers the native engine and the env
/// and success plugins in code from their packages, and runs one task against an in-process local queue.
/// </summary>
[Collection(PackageBuildCollection.Name)]
public sealed class CustomWorkerTests
{
    [SkippableFact]
    public async Task The_custom_worker_runs_its_task_to_completion()
    {
        PackageBuild.SkipUnlessPacked();
        var sample = Path.Combine(PackageBuild.RepoRoot, "samples", "CustomWorker");
        await PackageBuild.DotnetAsync(sample, null, "restore", "--force");
        var stdout = await PackageBuild.DotnetAsync(sample, null, "run", "--no-restore", "-c", "Release");
        Assert.Matches("task [A-Za-z0-9_-]{22}: completed", stdout);
    }
}
