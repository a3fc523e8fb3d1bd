using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Runtime.Schemas;

namespace TcWorker.Engines.Docker.Tests;

/// <summary>The engine config: parsing, and the errors a worker stops with at start-up.</summary>
public sealed class DockerSettingsTests
{
    [Fact]
    public void A_full_config_matches_the_schema_and_parses()
    {
        var config = JObject.Parse("""
            {"endpoint": "unix:///run/docker.sock", "network": "none", "memory": "512m", "cpus": 1.5, "pids": 100,
             "workingDirectory": "/builds", "allowPrivileged": true, "allowDevices": ["kvm"],
             "registries": {"127.0.0.1:5000": {"username": "u", "password": "p"}}, "pullTimeoutSeconds": 30, "pullRetries": 1}
            """);
        Assert.Empty(SchemaValidator.Create(new DockerEngineProvider().ConfigSchema).Validate(config));
        var settings = DockerSettings.Parse(config);
        Assert.Equal(512L * 1024 * 1024, settings.MemoryBytes);
        Assert.Equal(1.5, settings.Cpus);
        Assert.Equal(100, settings.PidsLimit);
        Assert.Equal("u", settings.Registries["127.0.0.1:5000"].Username);
        Assert.DoesNotContain("p", settings.Registries["127.0.0.1:5000"].ToString().Replace("Password", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"endpoint": "ftp://host"}""", "engines.docker.endpoint")]
    [InlineData("""{"apiVersion": "1.40"}""", "engines.docker.apiVersion")]
    [InlineData("""{"workingDirectory": "relative"}""", "engines.docker.workingDirectory")]
    [InlineData("""{"tls": {"caFile": "/nonexistent/ca.pem"}, "endpoint": "tcp://127.0.0.1:2376"}""", "engines.docker.tls.caFile")]
    [InlineData("""{"tls": {}, "endpoint": "unix:///var/run/docker.sock"}""", "engines.docker.tls")]
    public void An_unusable_config_is_a_configuration_error_naming_the_key(string json, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => DockerSettings.Parse(JObject.Parse(json)));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_socket_that_is_missing_is_a_dependency_unavailable_and_the_engine_unhealthy()
    {
        await using var environment = await EngineTestEnvironment.CreateAsync();
        var socket = Path.Combine(Path.GetTempPath(), "tcw-no-daemon-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        var engine = new DockerEngineProvider().Create(new EngineOptions { Config = new JObject { ["endpoint"] = "unix://" + socket }, Environment = environment.Environment, Logger = new ListLogger() });
        await using (engine)
        {
            var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() => engine.StartAsync());
            Assert.Contains(socket, e.Message, StringComparison.Ordinal);
            Assert.False((await engine.CheckHealthAsync()).IsHealthy);
        }
    }
}
