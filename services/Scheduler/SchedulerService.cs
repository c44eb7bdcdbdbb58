using Platform.Hosting;
using Platform.Stack;

namespace Scheduler;

/// <summary>The scheduler and placement (nova-scheduler, placement): what it adds to the standard service stack.</summary>
public static class SchedulerService
{
    public static readonly ServiceDescription Description = new("scheduler", 8778, ApiFlavor.Placement);

    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(SchedulerService).Assembly);
}
