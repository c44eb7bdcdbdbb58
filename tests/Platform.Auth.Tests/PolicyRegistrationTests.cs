using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Auth.Policy;
using Platform.Context;

namespace Platform.Auth.Tests;

public sealed class PolicyRegistrationTests : IDisposable
{
    private static readonly RequestContext Member = new() { UserId = "u-1", ProjectId = "p-1", Roles = ["member"] };
    private static readonly Dictionary<string, object?> NoTarget = [];
    private readonly string file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");

    private static ServiceProvider Services(Dictionary<string, string?> config, ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddLogging(b => { if (logs is not null) b.AddProvider(logs); });
        // A library's rules, then the service's: both calls add to the same enforcer.
        services.AddPolicy(p => p.Add("admin_required", "role:admin"));
        services.AddPolicy(p => p.Add("compute:get", "rule:admin_required"));
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Registered_defaults_accumulate_and_the_configured_file_overrides_them()
    {
        File.WriteAllText(file, "\"compute:get\": \"rule:admin_required or role:member\"\n");
        using var provider = Services(new() { [PolicyExtensions.PolicyFileKey] = file });
        var enforcer = provider.GetRequiredService<IPolicyEnforcer>();

        Assert.True(enforcer.Authorize("compute:get", NoTarget, Member));
        Assert.False(enforcer.Authorize("admin_required", NoTarget, Member));
        Assert.Contains(provider.GetServices<IHostedService>(), s => s.GetType().Name == "PolicyStartupCheck");
    }

    [Fact]
    public void Without_a_file_the_defaults_apply()
    {
        using var provider = Services([]);
        Assert.False(provider.GetRequiredService<IPolicyEnforcer>().Authorize("compute:get", NoTarget, Member));
    }

    [Fact]
    public void An_undefined_rule_is_logged_once()
    {
        var logs = new ListLoggerProvider();
        using var provider = Services([], logs);
        var enforcer = provider.GetRequiredService<IPolicyEnforcer>();
        for (var i = 0; i < 3; i++) Assert.False(enforcer.Authorize("compute:undefined", NoTarget, Member));
        Assert.Single(logs.Messages, m => m.Contains("compute:undefined", StringComparison.Ordinal));
    }

    public void Dispose() => File.Delete(file);

    private sealed class ListLoggerProvider : ILoggerProvider, ILogger
    {
        public List<string> Messages { get; } = [];
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages) Messages.Add(formatter(state, exception));
        }

        public void Dispose() { }
    }
}
