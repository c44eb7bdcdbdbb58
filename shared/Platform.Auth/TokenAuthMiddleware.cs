using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Context;
using Platform.Hosting;

namespace Platform.Auth;

/// <summary>
/// keystonemiddleware's auth_token for our services: validates <c>X-Auth-Token</c> (and
/// <c>X-Service-Token</c> when a service calls on a user's behalf) and puts who is asking on
/// the request context. Endpoints marked <c>AllowAnonymous</c> may be called without a token.
/// </summary>
public sealed class TokenAuthMiddleware(RequestDelegate next, TokenValidator validator, AuthTokenSettings settings, ILogger<TokenAuthMiddleware> logger)
{
    public const string AuthTokenHeader = "X-Auth-Token";
    public const string ServiceTokenHeader = "X-Service-Token";

    public async Task InvokeAsync(HttpContext http)
    {
        // A path no endpoint serves has nothing to protect: it answers 404, as a URL outside
        // every API prefix does behind keystonemiddleware.
        var endpoint = http.GetEndpoint();
        var anonymous = endpoint is null || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
        var context = RequestContextAccessor.Current ?? new RequestContext();

        var userToken = Header(http, AuthTokenHeader);
        if (userToken is null)
        {
            if (!anonymous) throw Unauthorized(http, "no token given");
            await next(http);
            return;
        }

        // The service token first: a good one holding a service role lets an expired user
        // token through, as keystonemiddleware allows (a long build, an image read for it).
        var serviceToken = Header(http, ServiceTokenHeader);
        ValidatedToken? service = null;
        if (serviceToken is not null)
        {
            var outcome = await validator.ValidateAsync(serviceToken, http.RequestAborted);
            if (!outcome.IsValid)
            {
                ThrowIfIdentityUnavailable(outcome);
                // keystonemiddleware refuses the request outright when a service token is bad.
                throw Unauthorized(http, "service token: " + outcome.Reason);
            }
            service = outcome.Token!;
        }
        var allowExpired = service is not null && service.Roles.Any(r => settings.ServiceTokenRoles.Contains(r, StringComparer.OrdinalIgnoreCase));

        var user = await validator.ValidateAsync(userToken, allowExpired, http.RequestAborted);
        if (!user.IsValid)
        {
            ThrowIfIdentityUnavailable(user);
            // An anonymous endpoint answers a bad token as it would no token at all; a path
            // no endpoint serves refuses it, as keystonemiddleware in front of a router does.
            if (!anonymous || endpoint is null) throw Unauthorized(http, user.Reason);
            logger.LogDebug("ignoring an invalid token on an anonymous endpoint: {Reason}", user.Reason);
            await next(http);
            return;
        }

        var t = user.Token!;
        context = context with
        {
            UserId = t.UserId,
            UserName = t.UserName,
            UserDomainId = t.UserDomainId,
            ProjectId = t.ProjectId,
            ProjectName = t.ProjectName,
            ProjectDomainId = t.ProjectDomainId,
            DomainId = t.DomainId,
            SystemScope = t.SystemScope,
            Roles = t.Roles,
            AuthToken = userToken,
        };
        if (service is not null)
            context = context with
            {
                ServiceUserId = service.UserId,
                ServiceUserDomainId = service.UserDomainId,
                ServiceProjectId = service.ProjectId,
                ServiceProjectDomainId = service.ProjectDomainId,
                ServiceRoles = service.Roles,
            };

        RequestContextAccessor.Current = context;
        await next(http);
    }

    private static string? Header(HttpContext http, string name)
    {
        var value = http.Request.Headers[name].ToString().Trim();
        return value.Length == 0 ? null : value;
    }

    private static void ThrowIfIdentityUnavailable(TokenValidationOutcome outcome)
    {
        // As keystonemiddleware: when identity cannot be reached, say so rather than blame the caller.
        if (outcome.Failure == TokenFailure.KeysUnavailable)
            throw new ApiException(HttpStatusCode.ServiceUnavailable, "The Keystone service is temporarily unavailable.");
    }

    private ApiException Unauthorized(HttpContext http, string? reason)
    {
        logger.LogInformation("refusing {Method} {Path}: {Reason}", http.Request.Method, http.Request.Path, reason);
        var challenge = settings.WwwAuthenticateUri is { } uri ? $"Keystone uri=\"{uri}\"" : "Keystone";
        // Set as the response starts, so it survives whatever the error middleware does to headers.
        http.Response.OnStarting(() =>
        {
            if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
                http.Response.Headers.WWWAuthenticate = challenge;
            return Task.CompletedTask;
        });
        return ApiException.Unauthorized();
    }
}
