using Platform.Hosting;
using Image;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(ImageService.Description, args);
builder.AddImage();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapImage();
return await app.RunServiceAsync(args);

// Visible to the service tests (WebApplicationFactory<Program>).
public partial class Program;
