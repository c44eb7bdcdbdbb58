using Scheduler.Scheduling;

namespace Scheduler.Weighers;

/// <summary>Runs the weighers over the hosts that passed: min-max normalised per weigher, times its multiplier, summed.</summary>
public static class HostWeighing
{
    public static double[] Weigh(IReadOnlyList<HostState> hosts, IReadOnlyList<IHostWeigher> weighers, SchedulingRequest request) =>
        Weigh(hosts, weighers, request, new double[hosts.Count], new double[hosts.Count]);

    /// <summary>As above, into <paramref name="totals"/> (cleared here) with <paramref name="raw"/> as scratch, both at least as long as <paramref name="hosts"/>.</summary>
    public static double[] Weigh(IReadOnlyList<HostState> hosts, IReadOnlyList<IHostWeigher> weighers, SchedulingRequest request, double[] totals, double[] raw)
    {
        Array.Clear(totals, 0, hosts.Count);
        foreach (var weigher in weighers)
        {
            var multiplier = weigher.Multiplier(request.Options);
            if (multiplier == 0 || !weigher.AppliesTo(request)) continue;
            double min = double.MaxValue, max = double.MinValue;
            for (var i = 0; i < hosts.Count; i++)
            {
                var w = raw[i] = weigher.Weigh(hosts[i], request);
                if (w < min) min = w;
                if (w > max) max = w;
            }
            // All equal: the weigher says nothing about these hosts.
            if (hosts.Count == 0 || max == min) continue;
            var range = max - min;
            for (var i = 0; i < hosts.Count; i++) totals[i] += multiplier * ((raw[i] - min) / range);
        }
        return totals;
    }

    /// <summary>One weigher's normalised weights (0..1), as nova's normalize does.</summary>
    public static double[] Normalize(IReadOnlyList<double> weights)
    {
        if (weights.Count == 0) return [];
        var min = weights.Min();
        var max = weights.Max();
        return max == min ? new double[weights.Count] : [.. weights.Select(w => (w - min) / (max - min))];
    }
}
