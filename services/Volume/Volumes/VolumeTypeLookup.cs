using System.Data.Common;
using Dapper;
using Volume.Common;

namespace Volume.Volumes;

/// <summary>A volume type as a volume create needs it: its id, name and extra specs.</summary>
public sealed record VolumeTypeRef(string Id, string Name, IReadOnlyDictionary<string, string> ExtraSpecs);

/// <summary>
/// Finds the type a volume is made with: the one named (by id or name) that the caller's project
/// may use (public, or private with access; admins any), else the configured default
/// (<c>[DEFAULT] default_volume_type</c>, cinder's <c>__DEFAULT__</c> when unset).
/// </summary>
public static class VolumeTypeLookup
{
    public static async Task<VolumeTypeRef> ResolveAsync(DbConnection c, string? requested, VolumeSettings settings, CinderAuthz authz, DbTransaction? tx = null)
    {
        var byName = requested is null;
        var key = requested ?? settings.DefaultVolumeType;
        var projectId = CinderAuthz.Caller.ProjectId;
        var isAdmin = authz.IsAdmin;
        var found = (await c.QueryAsync<(string Id, string Name, bool IsPublic)>("""
            SELECT id, name, is_public FROM volume_types
             WHERE deleted = 0 AND (id = @key OR name = @key)
             ORDER BY id = @key DESC
            """, new { key }, tx)).ToList();
        foreach (var t in found)
        {
            if (byName && t.Name != key) continue;
            var visible = t.IsPublic || isAdmin || await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM volume_type_projects WHERE volume_type_id = @Id AND project_id = @projectId", new { t.Id, projectId }, tx) > 0;
            if (!visible) continue;
            var specs = (await c.QueryAsync<(string Key, string Value)>(
                "SELECT spec_key, spec_value FROM volume_type_extra_specs WHERE volume_type_id = @Id", new { t.Id }, tx)).ToDictionary(s => s.Key, s => s.Value);
            return new VolumeTypeRef(t.Id, t.Name, specs);
        }
        if (requested is null)
            throw new Platform.Hosting.ApiException(System.Net.HttpStatusCode.InternalServerError,
                $"The default volume type '{key}' does not exist: set [DEFAULT] default_volume_type to a type there is.");
        throw Guid.TryParse(key, out _)
            ? CinderErrors.NotFound($"Volume type {key} could not be found.")
            : CinderErrors.NotFound($"Volume type with name {key} could not be found.");
    }
}
