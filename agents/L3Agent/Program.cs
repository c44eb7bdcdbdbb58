using Platform.Hosting;
using L3Agent;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(L3AgentService.Description, args);
builder.AddL3Agent();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
