using Conductor.Contracts;
using Scheduler.Contracts;

namespace ComputeAgent.Contracts;

/// <summary>A compute host's own queue, <c>compute.&lt;host&gt;</c>.</summary>
public static class Topics
{
    public const string Compute = "compute";

    public static string ComputeOn(string host) => $"{Compute}.{host}";
}

/// <summary>
/// build_and_run_instance (cast to the chosen host): the host's allocation is already claimed.
/// On failure the host asks the conductor to reschedule; it never picks another host itself.
/// </summary>
public sealed record BuildAndRunInstance
{
    public required InstanceInfo Instance { get; init; }
    public required ImageSpec Image { get; init; }
    public required string Node { get; init; }
    public IReadOnlyList<RequestedNetwork> Networks { get; init; } = [];
    public bool NoNetworks { get; init; }
    public IReadOnlyList<string> SecurityGroups { get; init; } = [];

    /// <summary>1 for the first host tried; the conductor counts reschedules.</summary>
    public int Attempt { get; init; } = 1;
}

/// <summary>stop_instance (cast): power off; the instance goes SHUTOFF.</summary>
public sealed record StopInstance(InstanceInfo Instance);

/// <summary>start_instance (cast): power on a stopped instance.</summary>
public sealed record StartInstance(InstanceInfo Instance);

/// <summary>reboot_instance (cast), SOFT or HARD.</summary>
public sealed record RebootInstance(InstanceInfo Instance, string RebootType);

public sealed record PauseInstance(InstanceInfo Instance);

public sealed record UnpauseInstance(InstanceInfo Instance);

public sealed record SuspendInstance(InstanceInfo Instance);

public sealed record ResumeInstance(InstanceInfo Instance);

/// <summary>rebuild_instance (cast): the same instance, a fresh root disk from <see cref="Image"/>.</summary>
public sealed record RebuildInstance(InstanceInfo Instance, ImageSpec Image);

/// <summary>terminate_instance (cast): destroy, unplug and delete the ports it made, release the allocation.</summary>
public sealed record TerminateInstance(InstanceInfo Instance);

/// <summary>snapshot_instance (cast): upload the root disk into the queued image <see cref="ImageId"/>.</summary>
public sealed record SnapshotInstance(InstanceInfo Instance, string ImageId);

/// <summary>attach_volume (cast): connect <see cref="Volume"/> (its attachment reserved) and give it to the guest.</summary>
public sealed record AttachVolume(InstanceInfo Instance, BlockDeviceInfo Volume);

/// <summary>detach_volume (cast): take <see cref="Volume"/> from the guest and end its attachment (the volume is <c>detaching</c>).</summary>
public sealed record DetachVolume(InstanceInfo Instance, BlockDeviceInfo Volume);

/// <summary>external_instance_event (cast): network-vif-plugged and friends, for an instance on this host.</summary>
public sealed record ExternalInstanceEvent(string InstanceUuid, string Name, string? Tag, string Status);

/// <summary>get_console_output (call to the host).</summary>
public sealed record GetInstanceConsoleOutput(string InstanceUuid, int? Length);

public sealed record InstanceConsoleOutput(string? Output, bool NotFound = false);
