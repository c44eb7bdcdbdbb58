using System.Data.Common;
using ComputeApi.Common;
using ComputeApi.ReadModel;
using Conductor.Contracts;
using Dapper;
using Platform.Data;

namespace ComputeApi.Servers;

/// <summary>
/// Finding a server the caller may see (another project's server is never found, as nova scopes
/// by project) and asking the conductor, the instances' one writer, to change it.
/// </summary>
public sealed class ServerAccess(IDbConnectionFactory db, NovaAuthz authz, ConductorClient conductor)
{
    public NovaAuthz Authz => authz;

    public static async Task<InstanceInfo> FindAsync(DbConnection c, NovaAuthz authz, string id, bool allowDeleted = false)
    {
        var instance = await InstanceStore.GetAsync(c, id);
        var caller = NovaAuthz.Caller;
        if (instance is null || (instance.Deleted && !allowDeleted) || (instance.ProjectId != caller.ProjectId && !authz.IsAdmin))
            throw NovaErrors.InstanceNotFound(id);
        return instance;
    }

    public async Task<InstanceInfo> FindAsync(string id, bool allowDeleted = false)
    {
        await using var c = await db.OpenAsync();
        return await FindAsync(c, authz, id, allowDeleted);
    }

    /// <summary>
    /// Asks the conductor for <paramref name="request"/>: its refusal becomes nova's 409 with the
    /// conductor's text, an unknown instance a 404; the instance it answers with goes into the
    /// read model so the caller reads its own change at once.
    /// </summary>
    public async Task<InstanceActionReply> RequestAsync(RequestInstanceAction request)
    {
        var reply = await conductor.CallInstanceActionAsync(request);
        if (reply.NotFound && await AwaitingBuildAsync(request.InstanceUuid))
            reply = await conductor.CallInstanceActionAsync(request);
        if (reply.NotFound) throw NovaErrors.InstanceNotFound(request.InstanceUuid);
        if (reply.ConflictMessage is { } conflict) throw NovaErrors.Conflict(conflict);
        if (!reply.Accepted)
            throw NovaErrors.Conflict($"Cannot '{request.Action}' instance {request.InstanceUuid} while it is in its current state");
        if (reply.Instance is { } instance)
        {
            await using var c = await db.OpenAsync();
            await InstanceStore.WriteAsync(c, instance);
        }
        return reply;
    }

    /// <summary>
    /// A server still only a build request here (the conductor has not created it yet): waits a
    /// few seconds for the conductor's first event; true when it came, so the call is worth repeating.
    /// </summary>
    private async Task<bool> AwaitingBuildAsync(string uuid)
    {
        await using var c = await db.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var version = await c.ExecuteScalarAsync<long?>("SELECT version FROM instances WHERE uuid = @uuid", new { uuid });
            if (version is null) return false;
            if (version >= 1) return true;
            await Task.Delay(50);
        }
        return false;
    }
}
