namespace Platform.Messaging;

/// <summary>Base of every failure of a call: the caller always gets one of these or a reply.</summary>
public abstract class RpcException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Nobody answered in time (nova's MessagingTimeout).</summary>
public sealed class RpcTimeoutException(string destination, string messageType, TimeSpan timeout, Exception? inner = null)
    : RpcException($"no reply to {messageType} from '{destination}' within {timeout.TotalSeconds:0.###}s", inner)
{
    public string Destination { get; } = destination;
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>The consumer failed; carries the remote exception's type and message (oslo's RemoteError).</summary>
public sealed class RpcRemoteException(string destination, string exceptionType, string remoteMessage, Exception? inner = null)
    : RpcException($"'{destination}' failed: {exceptionType}: {remoteMessage}", inner)
{
    public string Destination { get; } = destination;
    public string ExceptionType { get; } = exceptionType;
    public string RemoteMessage { get; } = remoteMessage;
}
