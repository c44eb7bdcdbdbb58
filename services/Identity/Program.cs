using Platform.Hosting;
using Identity;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(IdentityService.Description, args);
builder.AddIdentity();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIdentity();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
