using Platform.Hosting;
using Conductor;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(ConductorService.Description, args);
builder.AddConductor();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
