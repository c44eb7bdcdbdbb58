using Platform.Hosting;
using ComputeAgent;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(ComputeAgentService.Description, args);
builder.AddComputeAgent();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
