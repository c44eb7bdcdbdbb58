using Grpc.Core;
using Grpc.Core.Interceptors;
using Platform.Context;

namespace Scheduler.Contracts;

/// <summary>
/// Gives each placement call the flow's global request id in <c>x-openstack-request-id</c>, as a
/// REST call to a peer carries <c>X-OpenStack-Request-ID</c>, so placement's lines for the call
/// name the request that caused it. The trace travels without help: gRPC runs over HttpClient,
/// which sends <c>traceparent</c>.
/// </summary>
internal sealed class RequestIdInterceptor : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithRequestId(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithRequestId(context));

    private static ClientInterceptorContext<TRequest, TResponse> WithRequestId<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        var caller = RequestContextAccessor.Current;
        if ((caller?.GlobalRequestId ?? caller?.RequestId) is not { } id) return context;
        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? []) headers.Add(entry);
        headers.Add(ContextHeaders.GlobalRequestId, id); // gRPC lowercases the key
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}
