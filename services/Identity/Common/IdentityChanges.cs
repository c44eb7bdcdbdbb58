using Platform.Auth;

namespace Identity.Common;

/// <summary>
/// A counter bumped whenever this instance changes identity data, or hears of a revocation from
/// any instance. Caches remember the count they loaded under and treat older entries as gone, so
/// a write is seen by the next read here, and a disable, delete, role removal or password change
/// made through another instance is seen as soon as its revocation fanout lands.
/// </summary>
public sealed class IdentityChanges
{
    private long version;

    public IdentityChanges(InMemoryTokenRevocationList revocations) => revocations.Added += _ => Changed();

    public long Version => Interlocked.Read(ref version);

    public void Changed() => Interlocked.Increment(ref version);
}

public static class IdentityChangesMiddleware
{
    /// <summary>
    /// Every request that may write (anything but GET and HEAD, and the token issue, which writes
    /// nothing the caches hold) bumps <see cref="IdentityChanges"/> once it has committed.
    /// </summary>
    public static WebApplication UseIdentityChanges(this WebApplication app)
    {
        var changes = app.Services.GetRequiredService<IdentityChanges>();
        app.Use(async (http, next) =>
        {
            try { await next(http); }
            finally
            {
                var request = http.Request;
                if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
                    && !(HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/v3/auth/tokens")))
                    changes.Changed();
            }
        });
        return app;
    }
}
