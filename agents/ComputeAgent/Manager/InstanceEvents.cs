using System.Collections.Concurrent;

namespace ComputeAgent.Manager;

/// <summary>The outcome of an awaited external event: its status, or none when it never came.</summary>
public sealed record ExternalEventOutcome(string Name, string? Tag, string? Status)
{
    /// <summary>The status a waiter gets when its wait is called off (the instance is being deleted).</summary>
    public const string Aborted = "aborted";

    public bool TimedOut => Status is null;
    public bool Failed => Status is not null && !string.Equals(Status, "completed", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Waiters for external events (nova's InstanceEvents): a build prepares a waiter per
/// (instance, event, tag) before the thing that triggers the event happens, and the
/// external_instance_event cast completes it.
/// </summary>
public sealed class InstanceEvents
{
    private readonly ConcurrentDictionary<(string Instance, string Name, string? Tag), TaskCompletionSource<string>> waiters = new();

    /// <summary>Starts waiting; the returned task ends with the event's status.</summary>
    public Task<string> Prepare(string instanceUuid, string name, string? tag) =>
        waiters.GetOrAdd((instanceUuid, name, tag), _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes the waiter for the event; false when nobody waits for it.</summary>
    public bool Pop(string instanceUuid, string name, string? tag, string status)
    {
        if (!waiters.TryRemove((instanceUuid, name, tag), out var waiter)) return false;
        waiter.TrySetResult(status);
        return true;
    }

    /// <summary>Calls off every wait of the instance (its build ended, or it is being deleted).</summary>
    public void Clear(string instanceUuid)
    {
        foreach (var key in waiters.Keys.Where(k => k.Instance == instanceUuid).ToList())
            if (waiters.TryRemove(key, out var waiter)) waiter.TrySetResult(ExternalEventOutcome.Aborted);
    }

    /// <summary>Waits for all of <paramref name="events"/> up to <paramref name="timeout"/>; stops early at the first failed one.</summary>
    public static async Task<IReadOnlyList<ExternalEventOutcome>> WaitAsync(
        IReadOnlyList<(string Name, string? Tag, Task<string> Waiter)> events, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var pending = events.Select(e => e.Waiter).ToList();
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).WaitAsync(deadline.Token);
                pending.Remove(done);
                if (done.IsCompletedSuccessfully && !string.Equals(done.Result, "completed", StringComparison.OrdinalIgnoreCase)) break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The deadline passed: what did not come is reported as timed out.
        }
        return [.. events.Select(e => new ExternalEventOutcome(e.Name, e.Tag, e.Waiter.IsCompletedSuccessfully ? e.Waiter.Result : null))];
    }
}
