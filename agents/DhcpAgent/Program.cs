using Platform.Hosting;
using DhcpAgent;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(DhcpAgentService.Description, args);
builder.AddDhcpAgent();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
