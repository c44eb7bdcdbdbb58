using System.Text;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Flavors;
using Conductor.Contracts;

namespace ComputeApi.Servers;

/// <summary>A server as nova shows it, per microversion and per what the caller may see.</summary>
public static class ServerView
{
    public static string Root(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>nova's hostId: a digest of project and host, so a project can tell its servers apart by host without learning host names.</summary>
    public static string HostId(string projectId, string? host) =>
        string.IsNullOrEmpty(host) ? "" : Convert.ToHexStringLower(Sha224.Hash(Encoding.UTF8.GetBytes(projectId + host)));

    public static JsonObject Brief(HttpContext http, InstanceInfo i) => new()
    {
        ["id"] = i.Uuid,
        ["name"] = i.DisplayName ?? "",
        ["links"] = FlavorsApi.Links(http.Request, "servers", i.Uuid),
    };

    public static JsonObject Addresses(InstanceInfo i)
    {
        var addresses = new JsonObject();
        foreach (var vif in i.NetworkInfo)
        {
            var label = vif.NetworkLabel ?? vif.NetworkId;
            if (addresses[label] is not JsonArray list) addresses[label] = list = [];
            foreach (var a in vif.Addresses)
                list.Add(new JsonObject
                {
                    ["version"] = a.Version, ["addr"] = a.Address, ["OS-EXT-IPS:type"] = a.Type, ["OS-EXT-IPS-MAC:mac_addr"] = vif.MacAddress,
                });
        }
        return addresses;
    }

    public static JsonObject Detail(HttpContext http, InstanceInfo i, NovaAuthz authz)
    {
        var version = http.Microversion();
        var root = Root(http.Request);
        var isAdmin = authz.IsAdmin;
        var status = i.Deleted ? "DELETED" : ServerStatus.Of(i.VmState, i.TaskState);
        var view = new JsonObject
        {
            ["id"] = i.Uuid,
            ["name"] = i.DisplayName ?? "",
            ["status"] = status,
            ["tenant_id"] = i.ProjectId,
            ["user_id"] = i.UserId,
            ["metadata"] = new JsonObject(i.Metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))),
            ["hostId"] = HostId(i.ProjectId, i.Host),
            ["image"] = string.IsNullOrEmpty(i.ImageRef) ? "" : new JsonObject
            {
                ["id"] = i.ImageRef,
                ["links"] = new JsonArray(new JsonObject { ["rel"] = "bookmark", ["href"] = $"{root}/images/{i.ImageRef}" }),
            },
            ["flavor"] = Flavor(http, i, authz),
            ["created"] = NovaBody.Iso(i.CreatedAt),
            ["updated"] = NovaBody.Iso(i.UpdatedAt ?? i.CreatedAt),
            ["addresses"] = Addresses(i),
            ["accessIPv4"] = i.AccessIpV4 ?? "",
            ["accessIPv6"] = i.AccessIpV6 ?? "",
            ["links"] = FlavorsApi.Links(http.Request, "servers", i.Uuid),
            ["OS-DCF:diskConfig"] = "MANUAL",
            ["progress"] = i.Progress,
            ["OS-EXT-AZ:availability_zone"] = i.AvailabilityZone ?? "",
            ["config_drive"] = i.ConfigDrive ? "True" : "",
            ["key_name"] = i.KeyName,
            ["OS-SRV-USG:launched_at"] = i.LaunchedAt is { } l ? NovaBody.Iso(l).TrimEnd('Z') + ".000000" : null,
            ["OS-SRV-USG:terminated_at"] = i.TerminatedAt is { } t ? NovaBody.Iso(t).TrimEnd('Z') + ".000000" : null,
            ["OS-EXT-STS:task_state"] = i.TaskState,
            ["OS-EXT-STS:vm_state"] = i.Deleted ? VmStates.Deleted : i.VmState,
            ["OS-EXT-STS:power_state"] = i.PowerState,
            ["os-extended-volumes:volumes_attached"] = new JsonArray([.. i.BlockDevices.Select(d => (JsonNode)(version.AtLeast(3)
                ? new JsonObject { ["id"] = d.VolumeId, ["delete_on_termination"] = d.DeleteOnTermination }
                : new JsonObject { ["id"] = d.VolumeId }))]),
        };
        if (i.SecurityGroups.Count > 0)
            view["security_groups"] = new JsonArray([.. i.SecurityGroups.Distinct().Select(g => (JsonNode)new JsonObject { ["name"] = g })]);
        if (authz.Allows("os_compute_api:os-extended-server-attributes", i.ProjectId))
        {
            view["OS-EXT-SRV-ATTR:host"] = i.Host;
            view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = i.Node;
            view["OS-EXT-SRV-ATTR:instance_name"] = "instance-" + i.Uuid[..8];
            if (version.AtLeast(3))
            {
                view["OS-EXT-SRV-ATTR:reservation_id"] = i.ReservationId;
                view["OS-EXT-SRV-ATTR:launch_index"] = i.LaunchIndex;
                view["OS-EXT-SRV-ATTR:hostname"] = i.Hostname;
                view["OS-EXT-SRV-ATTR:kernel_id"] = "";
                view["OS-EXT-SRV-ATTR:ramdisk_id"] = "";
                view["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda";
                view["OS-EXT-SRV-ATTR:user_data"] = i.UserData;
            }
        }
        if (version.AtLeast(9)) view["locked"] = i.Locked;
        if (version.AtLeast(73)) view["locked_reason"] = i.LockedReason;
        if (version.AtLeast(19)) view["description"] = i.DisplayDescription;
        if (version.AtLeast(26)) view["tags"] = new JsonArray([.. i.Tags.Select(t => (JsonNode)t)]);
        if (version.AtLeast(16) && authz.Allows("os_compute_api:servers:show:host_status", i.ProjectId))
            view["host_status"] = string.IsNullOrEmpty(i.Host) ? "" : "UP";
        if (version.AtLeast(63)) view["trusted_image_certificates"] = null;
        if (i.Fault is { } fault && status is "ERROR" or "DELETED")
        {
            var shown = new JsonObject { ["code"] = fault.Code, ["created"] = NovaBody.Iso(fault.Created), ["message"] = fault.Message };
            if (fault.Details is not null && (isAdmin || fault.Code != 500)) shown["details"] = fault.Details;
            view["fault"] = shown;
        }
        return view;
    }

    private static JsonObject Flavor(HttpContext http, InstanceInfo i, NovaAuthz authz)
    {
        var f = i.Flavor;
        if (!http.Microversion().AtLeast(47))
            return new JsonObject
            {
                ["id"] = f.Id,
                ["links"] = new JsonArray(new JsonObject { ["rel"] = "bookmark", ["href"] = $"{Root(http.Request)}/flavors/{f.Id}" }),
            };
        var view = new JsonObject
        {
            ["vcpus"] = f.Vcpus, ["ram"] = f.MemoryMb, ["disk"] = f.RootGb, ["ephemeral"] = f.EphemeralGb, ["swap"] = f.SwapMb, ["original_name"] = f.Name,
        };
        if (authz.Allows("os_compute_api:servers:show:flavor-extra-specs", i.ProjectId))
            view["extra_specs"] = new JsonObject(f.ExtraSpecs.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value)));
        return view;
    }
}
