using Identity.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting;

namespace Identity.Tokens.Tests;

public sealed class KeyCommandsTests : IDisposable
{
    private readonly KeyDirectory dir = new();
    private readonly WebApplication app;

    public KeyCommandsTests()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["token:key_repository"] = dir.Dir;
        builder.Configuration["token:expiration"] = "600";
        builder.AddIdentityTokens();
        app = builder.Build();
    }

    private Task<int> Run(string verb) =>
        app.Services.GetServices<IServiceCommand>().Single(c => c.Words.SequenceEqual(["keys", verb])).RunAsync(app.Services, [], CancellationToken.None);

    [Fact]
    public async Task Setup_then_rotate_through_the_commands()
    {
        Assert.Equal(0, await Run("setup"));
        Assert.Equal(0, await Run("setup"));
        Assert.Equal(["0.pem", "1.pem"], dir.Files());
        Assert.Equal(0, await Run("rotate"));
        Assert.Equal(["0.pem", "1.pem", "1.retired", "2.pem"], dir.Files());
    }

    [Fact]
    public async Task Rotate_before_setup_fails()
    {
        Assert.Equal(1, await Run("rotate"));
    }

    [Fact]
    public void Configuration_names_the_directory_and_the_expiration()
    {
        var options = app.Services.GetRequiredService<KeyRepositoryOptions>();
        Assert.Equal(dir.Dir, options.Directory);
        Assert.Equal(TimeSpan.FromMinutes(10), options.TokenExpiration);
        var defaults = KeyRepositoryOptions.FromConfiguration(new ConfigurationBuilder().Build());
        Assert.Equal("/etc/platform/identity-keys", defaults.Directory);
        Assert.Equal(TimeSpan.FromHours(1), defaults.TokenExpiration);
    }

    public void Dispose()
    {
        ((IDisposable)app).Dispose();
        dir.Dispose();
    }
}
