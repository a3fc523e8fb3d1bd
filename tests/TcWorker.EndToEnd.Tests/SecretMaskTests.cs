using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The secretmask plugin in the stock worker's plugin folders, on the native engine and the real local queue.</summary>
public sealed class SecretMaskTests
{
    [Fact]
    public async Task Neither_a_secret_env_value_a_value_the_task_registers_nor_the_proxy_url_reaches_the_uploaded_log()
    {
        await using var deployment = await Deployment.StartAsync();
        // The registered value is made inside the task (upper-cased), so the payload never holds it.
        var script = """
            echo "token: $API_TOKEN"
            echo "$DB_PASSWORD"
            value=$(echo runtime-registered-4711 | tr a-z A-Z)
            echo "::add-mask::$value"
            echo "after: $value"
            printf 'split: %s' "$value"; sleep 0.2; echo " $value"
            echo "plain: $PLAIN"
            echo "proxy: $TASKCLUSTER_PROXY_URL"
            """;
        var taskId = await deployment.CreateTaskAsync(new JObject
        {
            ["command"] = new JArray { new JArray("/bin/sh", "-c", script) },
            ["maxRunTime"] = 60,
            ["features"] = new JObject { ["taskclusterProxy"] = true },
            ["env"] = new JObject
            {
                ["API_TOKEN"] = "tok-env-31415926",
                ["DB_PASSWORD"] = "pw-line-one-2718\npw-line-two-1618",
                ["PLAIN"] = "visible-1414",
            },
        });
        var config = deployment.Config(tasks: 1);
        config["plugins"]!["secretmask"] = new JObject();
        config["plugins"]!["taskclusterproxy"] = new JObject();
        using var lifetime = new WorkerLifetime();
        await Deployment.RunWorkerAsync(config, lifetime);

        var log = (await ArtifactTests.FetchAsync(deployment, taskId, "public/logs/live_backing.log")).Body;
        Assert.Equal("completed", Assert.Single((await deployment.StatusAsync(taskId)).Runs).State);
        foreach (var secret in new[] { "tok-env-31415926", "pw-line-one-2718", "pw-line-two-1618", "RUNTIME-REGISTERED-4711" })
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"{secret} leaked:\n{log}");
        }

        Assert.Contains("token: ***\n", log, StringComparison.Ordinal);
        Assert.Contains("::add-mask::***\nafter: ***\nsplit: *** ***\n", log, StringComparison.Ordinal);
        Assert.Contains("plain: visible-1414\n", log, StringComparison.Ordinal);
        // The proxy URL's path is its secret (256 random bits): only the host and port remain.
        Assert.Matches(@"\nproxy: http://127\.0\.0\.1:[0-9]+/\*\*\*\n", log);
    }
}
