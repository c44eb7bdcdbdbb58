using Microsoft.AspNetCore.Builder;
using Platform.Hosting;

namespace Platform.Hosting.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("platform-config-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static WebApplicationBuilder Build(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(new ServiceDescription("test", 1, ApiFlavor.None), args);
        return builder;
    }

    [Fact]
    public void An_ini_config_file_is_read_by_section()
    {
        var file = Write("svc.conf", """
            host = node-7

            [database]
            connection = Server=db;User ID=nova;Password=p=q;Database=nova
            """);
        var config = Build("--config-file", file).Configuration;
        Assert.Equal("node-7", config["host"]);
        // Only the first '=' separates key and value: connection strings keep theirs.
        Assert.Equal("Server=db;User ID=nova;Password=p=q;Database=nova", config["database:connection"]);
    }

    [Fact]
    public void A_json_config_file_is_read_too()
    {
        var file = Write("svc.json", """{"messaging": {"transport_url": "memory://"}}""");
        Assert.Equal("memory://", Build($"--config-file={file}").Configuration["messaging:transport_url"]);
    }

    [Fact]
    public void Environment_beats_the_file_and_the_command_line_beats_both()
    {
        var key = "cfgtest" + Guid.NewGuid().ToString("N")[..8];
        var file = Write("svc.conf", $"[{key}]\nvalue = from-file\nother = from-file\n");
        Environment.SetEnvironmentVariable($"PLATFORM_{key}__value", "from-env");
        Environment.SetEnvironmentVariable($"PLATFORM_{key}__other", "from-env");
        try
        {
            var config = Build("db", "sync", "--config-file", file, $"--{key}:other=from-cli").Configuration;
            Assert.Equal("from-env", config[$"{key}:value"]);
            Assert.Equal("from-cli", config[$"{key}:other"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"PLATFORM_{key}__value", null);
            Environment.SetEnvironmentVariable($"PLATFORM_{key}__other", null);
        }
    }

    [Fact]
    public void A_missing_config_file_is_an_error_that_names_it()
    {
        var missing = Path.Combine(directory, "nope.conf");
        var error = Assert.Throws<FileNotFoundException>(() => Build("--config-file", missing));
        Assert.Contains(missing, error.Message);
    }
}
