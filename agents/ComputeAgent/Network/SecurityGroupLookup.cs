using System.Text.Json.Nodes;
using NetworkServer.Contracts;
using Platform.Catalog;

namespace ComputeAgent.Network;

/// <summary>A security group the server asked for by name does not exist in its project.</summary>
public sealed class SecurityGroupNotFoundException(string name, string projectId)
    : Exception($"Security group {name} not found for project {projectId}.");

/// <summary>Resolves the security group names of a server to ids in its project (nova's neutron security group lookup).</summary>
public sealed class SecurityGroupLookup(HttpClient http, IServiceCatalog catalog)
{
    public async Task<IReadOnlyList<string>> ResolveAsync(string projectId, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        if (names.Count == 0) return [];
        using var request = await PeerRequests.CreateAsync(catalog, NetworkClient.ServiceType, HttpMethod.Get,
            $"v2.0/security-groups?project_id={Uri.EscapeDataString(projectId)}&fields=id&fields=name", cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new NetworkServiceException(response.StatusCode, null, text);
        var groups = (JsonNode.Parse(text)?["security_groups"]?.AsArray() ?? [])
            .Select(g => (Id: g?["id"]?.GetValue<string>(), Name: g?["name"]?.GetValue<string>()))
            .Where(g => g.Id is not null)
            .ToList();
        var ids = new List<string>();
        foreach (var name in names.Distinct())
        {
            var byId = groups.FirstOrDefault(g => g.Id == name);
            var byName = groups.Where(g => g.Name == name).ToList();
            if (byId.Id is not null) ids.Add(byId.Id);
            else if (byName.Count == 1) ids.Add(byName[0].Id!);
            else if (byName.Count > 1) throw new InvalidOperationException($"Multiple security groups named {name} in project {projectId}; use its id.");
            // The project's default group may not exist yet: the network service applies it by itself.
            else if (name != "default") throw new SecurityGroupNotFoundException(name, projectId);
        }
        return ids;
    }
}
