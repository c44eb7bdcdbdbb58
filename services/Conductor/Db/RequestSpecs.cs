using System.Data.Common;
using Conductor.Contracts;
using Dapper;
using Scheduler.Contracts;

namespace Conductor.Db;

/// <summary>One row of <c>request_specs</c>: the build as received, the hosts offered, the tries so far.</summary>
public sealed class RequestSpecRow
{
    public string InstanceUuid { get; set; } = "";
    public string? InstanceGroup { get; set; }
    public string Spec { get; set; } = "";
    public string? Selections { get; set; }
    public string TriedHosts { get; set; } = "[]";
    public int Attempts { get; set; }

    public BuildInstances Build => Json.Read<BuildInstances?>(Spec, null) ?? throw new InvalidOperationException($"request spec of {InstanceUuid} is unreadable");

    public List<Selection> SelectionList => Json.Read<List<Selection>>(Selections, []);

    public List<string> Tried => Json.Read<List<string>>(TriedHosts, []);
}

public static class RequestSpecs
{
    public static Task InsertAsync(DbTransaction transaction, string instanceUuid, BuildInstances build, DateTime now) =>
        transaction.Connection!.ExecuteAsync("""
            INSERT INTO request_specs (instance_uuid, instance_group, spec, tried_hosts, attempts, created_at)
            VALUES (@instanceUuid, @group, @spec, '[]', 0, @now)
            """, new { instanceUuid, group = build.InstanceGroup?.Uuid, spec = Json.Write(build), now }, transaction);

    public static Task<RequestSpecRow?> LockAsync(DbTransaction transaction, string instanceUuid) =>
        transaction.Connection!.QuerySingleOrDefaultAsync<RequestSpecRow>(
            "SELECT instance_uuid, instance_group, spec, selections, tried_hosts, attempts FROM request_specs WHERE instance_uuid = @instanceUuid FOR UPDATE",
            new { instanceUuid }, transaction);

    public static Task RecordAttemptAsync(DbTransaction transaction, string instanceUuid, IReadOnlyList<Selection>? selections, IReadOnlyList<string> tried, int attempts, DateTime now) =>
        transaction.Connection!.ExecuteAsync("""
            UPDATE request_specs SET selections = COALESCE(@selections, selections), tried_hosts = @tried, attempts = @attempts, updated_at = @now
            WHERE instance_uuid = @instanceUuid
            """, new { instanceUuid, selections = selections is null ? null : Json.Write(selections), tried = Json.Write(tried), attempts, now }, transaction);
}
