using Platform.Hosting;
using OvsAgent;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(OvsAgentService.Description, args);
builder.AddOvsAgent();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
