using Platform.Hosting;
using NetworkServer;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(NetworkServerService.Description, args);
builder.AddNetworkServer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapNetworkServer();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
