using System.Text.Json;
using Scheduler.Placement;

namespace Scheduler.Scheduling;

/// <summary>
/// One compute node as the scheduler sees it (nova's HostState): host state, inventories and
/// usage, kept in the in-memory view and updated by the scheduler's own claims between refreshes.
/// </summary>
public sealed class HostState
{
    private JsonElement? cpuInfo;

    // The standard classes (VCPU, MEMORY_MB, DISK_GB) by slot, beside the dictionaries, so the
    // scheduler's loop over every host reads fields rather than hashing class names.
    private InventoryRecord?[]? inventorySlots;
    private long[]? usedSlots;

    /// <summary>The slot of a standard class, or -1.</summary>
    public static int SlotOf(string resourceClass) => resourceClass switch
    {
        ResourceClasses.Vcpu => 0,
        ResourceClasses.MemoryMb => 1,
        ResourceClasses.DiskGb => 2,
        _ => -1,
    };

    private void EnsureSlots()
    {
        if (usedSlots is not null) return;
        inventorySlots = [Inventories.GetValueOrDefault(ResourceClasses.Vcpu), Inventories.GetValueOrDefault(ResourceClasses.MemoryMb), Inventories.GetValueOrDefault(ResourceClasses.DiskGb)];
        usedSlots = [Used.GetValueOrDefault(ResourceClasses.Vcpu), Used.GetValueOrDefault(ResourceClasses.MemoryMb), Used.GetValueOrDefault(ResourceClasses.DiskGb)];
    }

    /// <summary><see cref="Free(string)"/> by slot.</summary>
    public long FreeIn(int slot)
    {
        EnsureSlots();
        return inventorySlots![slot] is { } inventory ? inventory.Capacity - usedSlots![slot] : 0;
    }

    /// <summary>Whether the amounts fit; <paramref name="slots"/> gives each one's slot (-1: look it up by name).</summary>
    public bool Fits(KeyValuePair<string, long>[] resources, int[] slots)
    {
        EnsureSlots();
        for (var i = 0; i < resources.Length; i++)
        {
            var slot = slots[i];
            var amount = resources[i].Value;
            InventoryRecord? inventory;
            long used;
            if (slot >= 0)
            {
                inventory = inventorySlots![slot];
                used = usedSlots![slot];
            }
            else
            {
                inventory = Inventories.GetValueOrDefault(resources[i].Key);
                used = Used.GetValueOrDefault(resources[i].Key);
            }
            if (inventory is null || !inventory.AcceptsUnit(amount) || used + amount > inventory.Capacity) return false;
        }
        return true;
    }

    public required long Id { get; init; }
    public required string Uuid { get; init; }
    public required string Host { get; init; }
    public required string Nodename { get; init; }
    public string HypervisorType { get; init; } = "";
    public long HypervisorVersion { get; init; }
    public string HostIp { get; init; } = "";
    public string CpuInfoText { get; init; } = "";
    public IReadOnlyList<SupportedInstanceRecord> SupportedInstances { get; init; } = [];
    public int FailedBuilds { get; init; }
    public bool Disabled { get; init; }
    public string? DisabledReason { get; init; }
    public bool ForcedDown { get; init; }
    /// <summary>When the node last reported; moved on by the view's look at reports, which change nothing else.</summary>
    public DateTime LastReportAt { get; set; }
    public string? AggregateZone { get; init; }
    public IReadOnlyDictionary<string, string> AggregateMetadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlySet<string> Traits { get; init; } = new HashSet<string>();
    public Dictionary<string, InventoryRecord> Inventories { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Used per resource class; changed in place by this scheduler's claims.</summary>
    public Dictionary<string, long> Used { get; init; } = new(StringComparer.Ordinal);

    public int RunningVms { get; set; }
    public long Generation { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>The parsed cpu_info JSON (undefined when it is not JSON).</summary>
    public JsonElement CpuInfo => cpuInfo ??= ParseCpuInfo(CpuInfoText);

    /// <summary>What is left of a class to allocate: capacity minus usage (0 without inventory).</summary>
    public long Free(string resourceClass) =>
        Inventories.TryGetValue(resourceClass, out var inventory) ? inventory.Capacity - (Used.TryGetValue(resourceClass, out var used) ? used : 0) : 0;

    /// <summary>Whether every amount fits here now, by capacity and unit rules.</summary>
    public bool Fits(IReadOnlyDictionary<string, long> resources) => Fits(resources.ToArray());

    /// <summary>As <see cref="Fits(IReadOnlyDictionary{string, long})"/>, for the scheduler's hot loop.</summary>
    public bool Fits(KeyValuePair<string, long>[] resources)
    {
        foreach (var (rc, amount) in resources)
        {
            if (!Inventories.TryGetValue(rc, out var inventory) || !inventory.AcceptsUnit(amount)) return false;
            if ((Used.TryGetValue(rc, out var used) ? used : 0) + amount > inventory.Capacity) return false;
        }
        return true;
    }

    public void Consume(IReadOnlyDictionary<string, long> resources)
    {
        EnsureSlots();
        foreach (var (rc, amount) in resources)
        {
            Used[rc] = Used.GetValueOrDefault(rc) + amount;
            if (SlotOf(rc) is var slot and >= 0) usedSlots![slot] += amount;
        }
        RunningVms++;
    }

    /// <summary>The zone the host is in: its aggregates' zone, else the default.</summary>
    public string AvailabilityZone(string defaultZone) => AggregateZone ?? defaultZone;

    public bool IsUp(DateTime now, TimeSpan serviceDownTime) => !ForcedDown && now - LastReportAt <= serviceDownTime;

    public static HostState From(ProviderSnapshot s) => new()
    {
        Id = s.Row.Id,
        Uuid = s.Row.Uuid,
        Host = s.Row.Host ?? s.Row.Name,
        Nodename = s.Row.HypervisorHostname ?? s.Row.Name,
        HypervisorType = s.Row.HypervisorType ?? "",
        HypervisorVersion = s.Row.HypervisorVersion,
        HostIp = s.Row.HostIp ?? "",
        CpuInfoText = s.Row.CpuInfo ?? "",
        SupportedInstances = ParseSupported(s.Row.SupportedInstances),
        FailedBuilds = s.Row.FailedBuilds,
        Disabled = s.Row.Disabled,
        DisabledReason = s.Row.DisabledReason,
        ForcedDown = s.Row.ForcedDown,
        LastReportAt = s.Row.LastReportAt ?? DateTime.MinValue,
        AggregateZone = s.AvailabilityZone,
        AggregateMetadata = s.AggregateMetadata,
        Traits = s.Traits,
        Inventories = new Dictionary<string, InventoryRecord>(s.Inventories, StringComparer.Ordinal),
        Used = new Dictionary<string, long>(s.Used, StringComparer.Ordinal),
        RunningVms = s.Consumers,
        Generation = s.Row.Generation,
        UpdatedAt = s.Row.UpdatedAt,
    };

    public static IReadOnlyList<SupportedInstanceRecord> ParseSupported(string? json)
    {
        if (string.IsNullOrEmpty(json)) return [];
        try
        {
            return [.. (JsonSerializer.Deserialize<List<string[]>>(json) ?? [])
                .Where(t => t.Length == 3).Select(t => new SupportedInstanceRecord(t[0], t[1], t[2]))];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static JsonElement ParseCpuInfo(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return default;
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
