using Platform.Hosting;
using ComputeApi;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(ComputeApiService.Description, args);
builder.AddComputeApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapComputeApi();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
