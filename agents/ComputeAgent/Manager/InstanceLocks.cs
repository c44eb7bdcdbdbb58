namespace ComputeAgent.Manager;

/// <summary>
/// One operation at a time per instance (nova's lock on the instance uuid): a delete that arrives
/// while the build runs waits for it, rather than racing it.
/// </summary>
public sealed class InstanceLocks
{
    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public int Users { get; set; }
    }

    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable> AcquireAsync(string instanceUuid, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (entries)
        {
            if (!entries.TryGetValue(instanceUuid, out entry!)) entries[instanceUuid] = entry = new Entry();
            entry.Users++;
        }
        try
        {
            await entry.Gate.WaitAsync(cancellationToken);
        }
        catch
        {
            Release(instanceUuid, entry, held: false);
            throw;
        }
        return new Holder(this, instanceUuid, entry);
    }

    private void Release(string instanceUuid, Entry entry, bool held)
    {
        if (held) entry.Gate.Release();
        lock (entries)
        {
            if (--entry.Users == 0)
            {
                entries.Remove(instanceUuid);
                entry.Gate.Dispose();
            }
        }
    }

    private sealed class Holder(InstanceLocks owner, string instanceUuid, Entry entry) : IAsyncDisposable
    {
        private int released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) owner.Release(instanceUuid, entry, held: true);
            return ValueTask.CompletedTask;
        }
    }
}
