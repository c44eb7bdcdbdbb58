namespace Scheduler.Scheduling;

/// <summary>
/// Weighed hosts, best first, sorted only as far as anyone reads: the first few (primary,
/// alternates, a claim failure or two) come from a partial selection; reading past them sorts
/// the rest. Equal weights go by provider id, so runs are repeatable.
/// </summary>
public sealed class RankedHosts : IReadOnlyList<HostState>
{
    private readonly List<HostState> hosts;
    private readonly double[] weights;
    private readonly List<int> order;
    private bool fullySorted;

    public RankedHosts(List<HostState> hosts, double[] weights, int head)
    {
        this.hosts = hosts;
        this.weights = weights;
        if (hosts.Count <= head)
        {
            order = [.. Enumerable.Range(0, hosts.Count)];
            order.Sort(Compare);
            fullySorted = true;
            return;
        }
        // The best `head` by a bounded heap whose root is the worst kept.
        var heap = new PriorityQueue<int, int>(head + 1, Comparer<int>.Create((a, b) => Compare(b, a)));
        for (var i = 0; i < hosts.Count; i++)
        {
            if (heap.Count < head) heap.Enqueue(i, i);
            else if (Compare(i, heap.Peek()) < 0) heap.EnqueueDequeue(i, i);
        }
        order = [.. heap.UnorderedItems.Select(x => x.Element)];
        order.Sort(Compare);
    }

    public int Count => hosts.Count;

    public HostState this[int index]
    {
        get
        {
            if (index >= order.Count && !fullySorted) SortAll();
            return hosts[order[index]];
        }
    }

    public IEnumerator<HostState> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private void SortAll()
    {
        var head = order.ToHashSet();
        var rest = Enumerable.Range(0, hosts.Count).Where(i => !head.Contains(i)).ToList();
        rest.Sort(Compare);
        order.AddRange(rest);
        fullySorted = true;
    }

    // Negative when a ranks before b: higher weight first, then lower provider id.
    private int Compare(int a, int b)
    {
        var c = weights[b].CompareTo(weights[a]);
        return c != 0 ? c : hosts[a].Id.CompareTo(hosts[b].Id);
    }
}
