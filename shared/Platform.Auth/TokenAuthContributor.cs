using Microsoft.AspNetCore.Builder;
using Platform.Hosting;

namespace Platform.Auth;

/// <summary>Puts token validation after routing, where endpoint metadata is known.</summary>
internal sealed class TokenAuthContributor : IMiddlewareContributor
{
    public void Configure(IApplicationBuilder app) => app.UseMiddleware<TokenAuthMiddleware>();
}
