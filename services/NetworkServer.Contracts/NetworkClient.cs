using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Platform.Catalog;

namespace NetworkServer.Contracts;

/// <summary>A port as compute needs it (a slice of neutron's port).</summary>
public sealed record NeutronPort
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("network_id")] public required string NetworkId { get; init; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; init; }
    [JsonPropertyName("mac_address")] public string? MacAddress { get; init; }
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("device_id")] public string? DeviceId { get; init; }
    [JsonPropertyName("device_owner")] public string? DeviceOwner { get; init; }
    [JsonPropertyName("binding:host_id")] public string? BindingHostId { get; init; }
    [JsonPropertyName("binding:vif_type")] public string? BindingVifType { get; init; }
    [JsonPropertyName("binding:vif_details")] public JsonObject? BindingVifDetails { get; init; }
    [JsonPropertyName("fixed_ips")] public IReadOnlyList<PortFixedIp> FixedIps { get; init; } = [];
    [JsonPropertyName("security_groups")] public IReadOnlyList<string> SecurityGroups { get; init; } = [];
}

public sealed record PortFixedIp([property: JsonPropertyName("subnet_id")] string SubnetId, [property: JsonPropertyName("ip_address")] string IpAddress);

/// <summary>A network as compute needs it.</summary>
public sealed record NeutronNetwork
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; init; }
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("shared")] public bool Shared { get; init; }
    [JsonPropertyName("router:external")] public bool External { get; init; }
    [JsonPropertyName("subnets")] public IReadOnlyList<string> Subnets { get; init; } = [];
    [JsonPropertyName("mtu")] public int Mtu { get; init; }
}

/// <summary>The network service refused a request; <see cref="Type"/> is neutron's error type (PortNotFound, IpAddressAlreadyAllocated, ...).</summary>
public sealed class NetworkServiceException(HttpStatusCode status, string? type, string message)
    : Exception($"network service answered {(int)status} {type}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string? Type { get; } = type;
    public string Detail { get; } = message;
}

/// <summary>
/// The network service's v2.0 REST API as compute calls it (nova's neutron API module): on behalf
/// of the user where the user's token is at hand, as the compute service otherwise
/// (<see cref="PeerRequests"/>), which is how a host creates and binds ports for a build it got
/// over the bus.
/// </summary>
public sealed class NetworkClient(HttpClient http, IServiceCatalog catalog)
{
    public const string ServiceType = "network";

    public async Task<NeutronNetwork?> GetNetworkAsync(string networkId, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"v2.0/networks/{Uri.EscapeDataString(networkId)}", null, cancellationToken, notFoundIsNull: true);
        return body?["network"].Deserialize<NeutronNetwork>();
    }

    /// <summary>Networks matching <paramref name="query"/> (a neutron query string without the '?').</summary>
    public async Task<IReadOnlyList<NeutronNetwork>> ListNetworksAsync(string query, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"v2.0/networks?{query}", null, cancellationToken);
        return body!["networks"].Deserialize<List<NeutronNetwork>>() ?? [];
    }

    public async Task<NeutronPort?> GetPortAsync(string portId, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"v2.0/ports/{Uri.EscapeDataString(portId)}", null, cancellationToken, notFoundIsNull: true);
        return body?["port"].Deserialize<NeutronPort>();
    }

    /// <summary>Ports matching <paramref name="query"/> (<c>device_id=...</c>).</summary>
    public async Task<IReadOnlyList<NeutronPort>> ListPortsAsync(string query, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Get, $"v2.0/ports?{query}", null, cancellationToken);
        return body!["ports"].Deserialize<List<NeutronPort>>() ?? [];
    }

    /// <summary>Creates a port from neutron's port attributes (<c>network_id</c>, <c>fixed_ips</c>, <c>binding:host_id</c>, ...).</summary>
    public async Task<NeutronPort> CreatePortAsync(JsonObject port, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Post, "v2.0/ports", new JsonObject { ["port"] = port }, cancellationToken);
        return body!["port"].Deserialize<NeutronPort>()!;
    }

    public async Task<NeutronPort> UpdatePortAsync(string portId, JsonObject port, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(HttpMethod.Put, $"v2.0/ports/{Uri.EscapeDataString(portId)}", new JsonObject { ["port"] = port }, cancellationToken);
        return body!["port"].Deserialize<NeutronPort>()!;
    }

    /// <summary>Deletes a port; one that is already gone counts as deleted.</summary>
    public async Task DeletePortAsync(string portId, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Delete, $"v2.0/ports/{Uri.EscapeDataString(portId)}", null, cancellationToken, notFoundIsNull: true);

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? content, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        using var request = await PeerRequests.CreateAsync(catalog, ServiceType, method, path, cancellationToken);
        if (content is not null) request.Content = JsonContent.Create(content);
        using var response = await http.SendAsync(request, cancellationToken);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string? type = null, message = text;
            try
            {
                var error = JsonNode.Parse(text)?["NeutronError"];
                type = error?["type"]?.GetValue<string>();
                message = error?["message"]?.GetValue<string>() ?? text;
            }
            catch (JsonException) { }
            throw new NetworkServiceException(response.StatusCode, type, message);
        }
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
