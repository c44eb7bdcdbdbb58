using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.HostCommands;

public static class HostCommandServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ProcessHostCommandRunner"/> as <see cref="IHostCommandRunner"/>, unless
    /// a runner is already registered (a test's <see cref="RecordingHostCommandRunner"/>).
    /// </summary>
    public static IServiceCollection AddHostCommands(this IServiceCollection services)
    {
        services.AddLogging();
        services.TryAddSingleton<IHostCommandRunner, ProcessHostCommandRunner>();
        return services;
    }
}
