using System.Text.RegularExpressions;

namespace Volume.Common;

/// <summary>
/// cinder's two URL forms: <c>/v3/{project_id}/...</c>, the classic one, and <c>/v3/...</c>
/// without it (cinder accepts both; 3.67 only announced it). Every resource is mapped in both.
/// A project id in the URL must be the token's, or the request is refused as cinder refuses it.
/// </summary>
public static class ProjectRoutes
{
    public const string ConstraintName = "projectid";

    /// <summary>The route groups to map each v3 resource in: without and with the project id.</summary>
    public static IEnumerable<RouteGroupBuilder> Groups(IEndpointRouteBuilder app)
    {
        yield return app.MapGroup("/v3");
        yield return app.MapGroup($"/v3/{{project_id:{ConstraintName}}}")
            .AddEndpointFilter(async (context, next) =>
            {
                // cinder compares the URL's project with the context's for everyone, admins too.
                var inUrl = context.HttpContext.GetRouteValue("project_id") as string;
                if (inUrl != CinderAuthz.Caller.ProjectId) throw CinderErrors.MalformedUrl();
                return await next(context);
            });
    }
}

/// <summary>
/// What a project id in a URL may look like (<c>[DEFAULT] project_id_regex</c>, cinder's
/// <c>[0-9a-f\-]+</c> by default, as keystone's ids are). It tells the project segment from a
/// resource name: <c>/v3/limits</c> is not a project called "limits".
/// </summary>
public sealed class ProjectIdRouteConstraint : IRouteConstraint
{
    public const string Default = @"[0-9a-f\-]+";

    private readonly Regex pattern;

    public ProjectIdRouteConstraint(IConfiguration configuration)
    {
        var configured = configuration["project_id_regex"] ?? configuration["DEFAULT:project_id_regex"];
        pattern = new Regex($"^(?:{(string.IsNullOrEmpty(configured) ? Default : configured)})$", RegexOptions.CultureInvariant);
    }

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string text && pattern.IsMatch(text);
}
