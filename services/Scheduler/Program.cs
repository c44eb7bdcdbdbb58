using Platform.Hosting;
using Scheduler;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(SchedulerService.Description, args);
builder.AddScheduler();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapScheduler();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
