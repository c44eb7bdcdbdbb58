using Platform.Hosting;
using Volume;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(VolumeService.Description, args);
builder.AddVolume();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapVolume();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
