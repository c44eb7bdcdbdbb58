using Conductor.Placement;
using Conductor.Contracts;
using Dapper;
using MassTransit;
using Platform.Data;

namespace Conductor.Services;

/// <summary>A compute service's heartbeat: registers it on first sight and answers its disabled and forced-down flags.</summary>
public sealed class ComputeServiceReportConsumer(IDbConnectionFactory db, TimeProvider time) : IConsumer<ComputeServiceReport>
{
    public async Task Consume(ConsumeContext<ComputeServiceReport> context)
    {
        var m = context.Message;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        await c.ExecuteAsync("""
            INSERT INTO services (uuid, host, `binary`, topic, availability_zone, last_seen_up, report_count, created_at, updated_at)
            VALUES (@uuid, @Host, @Binary, 'compute', @AvailabilityZone, @now, 1, @now, @now)
            ON DUPLICATE KEY UPDATE last_seen_up = @now, report_count = report_count + 1, updated_at = @now,
              availability_zone = COALESCE(@AvailabilityZone, availability_zone)
            """, new { uuid = Guid.NewGuid().ToString(), m.Host, m.Binary, m.AvailabilityZone, now });
        var row = await c.QuerySingleAsync<ServiceRow>($"SELECT {ServiceRow.Columns} FROM services WHERE host = @Host AND `binary` = @Binary", m);
        await context.RespondAsync(new ComputeServiceReportReply(row.Uuid, row.Disabled, row.ForcedDown));
    }
}

/// <summary>os-services list: each service with whether it is up.</summary>
public sealed class ListComputeServicesConsumer(IDbConnectionFactory db, IConfiguration configuration, TimeProvider time) : IConsumer<ListComputeServices>
{
    public async Task Consume(ConsumeContext<ListComputeServices> context)
    {
        await using var c = await db.OpenAsync(context.CancellationToken);
        var rows = await c.QueryAsync<ServiceRow>($"""
            SELECT {ServiceRow.Columns} FROM services
            WHERE (@Host IS NULL OR host = @Host) AND (@Binary IS NULL OR `binary` = @Binary) ORDER BY id
            """, context.Message);
        var now = time.GetUtcNow().UtcDateTime;
        var down = ServiceRow.DownTime(configuration);
        await context.RespondAsync(new ComputeServicesReply([.. rows.Select(r => r.ToInfo(now, down))]));
    }
}

/// <summary>os-services update: disable/enable and force down, told to placement so the scheduler's ComputeFilter sees it.</summary>
public sealed class UpdateComputeServiceConsumer(IDbConnectionFactory db, PlacementCalls placement, IConfiguration configuration, TimeProvider time)
    : IConsumer<UpdateComputeService>
{
    public async Task Consume(ConsumeContext<UpdateComputeService> context)
    {
        var m = context.Message;
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await db.OpenAsync(context.CancellationToken);
        var where = m.Uuid is not null ? "uuid = @Uuid" : "host = @Host AND `binary` = @binary";
        var args = new { m.Uuid, m.Host, binary = m.Binary ?? "nova-compute", m.Disabled, m.DisabledReason, m.ForcedDown, now };
        var row = await c.QuerySingleOrDefaultAsync<ServiceRow>($"SELECT {ServiceRow.Columns} FROM services WHERE {where}", args);
        if (row is null)
        {
            await context.RespondAsync(new UpdateComputeServiceReply(null));
            return;
        }
        await c.ExecuteAsync($"""
            UPDATE services SET disabled = COALESCE(@Disabled, disabled),
              disabled_reason = CASE WHEN @Disabled = FALSE THEN NULL WHEN @Disabled = TRUE THEN @DisabledReason ELSE COALESCE(@DisabledReason, disabled_reason) END,
              forced_down = COALESCE(@ForcedDown, forced_down), updated_at = @now
            WHERE {where}
            """, args);
        row = await c.QuerySingleAsync<ServiceRow>($"SELECT {ServiceRow.Columns} FROM services WHERE id = @Id", row);
        // Told after the change, and again on a retry: the status is set whole, so a repeat is harmless.
        await placement.SetComputeServiceStatusAsync(row.Host, row.Disabled, row.DisabledReason, row.ForcedDown, context.CancellationToken);
        await context.RespondAsync(new UpdateComputeServiceReply(row.ToInfo(now, ServiceRow.DownTime(configuration))));
    }
}

/// <summary>os-services delete: refused while the host still has instances, as nova refuses it.</summary>
public sealed class DeleteComputeServiceConsumer(IDbConnectionFactory db) : IConsumer<DeleteComputeService>
{
    public async Task Consume(ConsumeContext<DeleteComputeService> context)
    {
        await using var c = await db.OpenAsync(context.CancellationToken);
        var row = await c.QuerySingleOrDefaultAsync<ServiceRow>($"SELECT {ServiceRow.Columns} FROM services WHERE uuid = @Uuid", context.Message);
        if (row is null)
        {
            await context.RespondAsync(new DeleteComputeServiceReply(false));
            return;
        }
        if (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM instances WHERE host = @Host AND deleted = 0", row) > 0)
        {
            await context.RespondAsync(new DeleteComputeServiceReply(false,
                "Unable to delete compute service that is hosting instances. Migrate or delete the instances first."));
            return;
        }
        await c.ExecuteAsync("DELETE FROM services WHERE id = @Id", row);
        await context.RespondAsync(new DeleteComputeServiceReply(true));
    }
}
