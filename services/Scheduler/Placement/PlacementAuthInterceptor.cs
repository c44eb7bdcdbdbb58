using Grpc.Core;
using Grpc.Core.Interceptors;
using Platform.Auth;
using Scheduler.Contracts;

namespace Scheduler.Placement;

/// <summary>
/// Placement's policy over gRPC: every call carries a token in <c>x-auth-token</c>, validated as
/// the REST middleware validates <c>X-Auth-Token</c>, and holding the admin or service role.
/// </summary>
public sealed class PlacementAuthInterceptor(TokenValidator validator) : Interceptor
{
    private static readonly string[] AllowedRoles = ["admin", "service"];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context);
        try
        {
            return await continuation(request, context);
        }
        catch (PlacementInputException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }

    private async Task AuthorizeAsync(ServerCallContext context)
    {
        var token = context.RequestHeaders.GetValue(PlacementClientExtensions.TokenMetadataKey);
        if (string.IsNullOrWhiteSpace(token))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "no token given"));
        var outcome = await validator.ValidateAsync(token.Trim(), context.CancellationToken);
        if (!outcome.IsValid)
        {
            if (outcome.Failure == TokenFailure.KeysUnavailable)
                throw new RpcException(new Status(StatusCode.Unavailable, "The Keystone service is temporarily unavailable."));
            throw new RpcException(new Status(StatusCode.Unauthenticated, outcome.Reason ?? "token is not valid"));
        }
        if (!outcome.Token!.Roles.Any(r => AllowedRoles.Contains(r, StringComparer.OrdinalIgnoreCase)))
            throw new RpcException(new Status(StatusCode.PermissionDenied, "placement requires the admin or service role"));
    }
}
