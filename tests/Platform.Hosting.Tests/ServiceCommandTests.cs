using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting;

namespace Platform.Hosting.Tests;

public sealed class ServiceCommandTests
{
    private sealed class Recorder : IServiceCommand
    {
        public List<IReadOnlyList<string>> Calls { get; } = [];
        public IReadOnlyList<string> Words => ["db", "sync"];
        public string Help => "test";

        public Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> rest, CancellationToken cancellationToken)
        {
            Calls.Add(rest);
            return Task.FromResult(7);
        }
    }

    private static async Task<(int Code, Recorder Recorder)> RunAsync(params string[] args)
    {
        var recorder = new Recorder();
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(new ServiceDescription("test", 1, ApiFlavor.None), args);
        builder.Services.AddSingleton<IServiceCommand>(recorder);
        await using var app = builder.Build();
        return (await app.RunServiceAsync(args), recorder);
    }

    [Fact]
    public async Task Positional_words_choose_the_command_and_options_are_not_words()
    {
        var (code, recorder) = await RunAsync("--logging:format", "text", "db", "sync", "extra");
        Assert.Equal(7, code);
        Assert.Equal(["extra"], Assert.Single(recorder.Calls));
    }

    [Fact]
    public async Task An_unknown_command_exits_2_without_running_anything()
    {
        var (code, recorder) = await RunAsync("db", "drop");
        Assert.Equal(2, code);
        Assert.Empty(recorder.Calls);
    }
}
