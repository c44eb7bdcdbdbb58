using Platform.Hosting;
using Platform.Stack;

namespace Identity;

/// <summary>The identity service (keystone): what it adds to the standard service stack.</summary>
public static class IdentityService
{
    public static readonly ServiceDescription Description = new("identity", 5000, ApiFlavor.Keystone);

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder) =>
        builder.AddServiceStack(typeof(IdentityService).Assembly, catalog: false);
}
