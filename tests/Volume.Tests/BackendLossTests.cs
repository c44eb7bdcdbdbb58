using System.Net;
using System.Text.Json;
using Dapper;
using Platform.TestSupport;

namespace Volume.Tests;

/// <summary>
/// The API and scheduler in one process and the backend worker in another, as a storage host
/// runs it. The worker goes away in the middle of an attach: the attach is refused with nothing
/// written, an admin's reset brings the volume back with no attachment record left, and once a
/// worker is back the same attach goes through.
/// </summary>
public sealed class BackendLossTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : VolumeApiTestBase(mysql, rabbit, "volloss"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    protected override bool RunsBackend => false;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["roles"] = "api,scheduler",
        ["messaging:rpc_response_timeout"] = "3",
    };

    private async Task<string> StatusAsync(string volumeId) =>
        (await GetAsync($"/v3/volumes/{volumeId}", A)).Body.GetProperty("volume").GetProperty("status").GetString()!;

    private async Task<long> LiveAttachmentsAsync(string volumeId)
    {
        await using var c = await OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM volume_attachment WHERE volume_id = @volumeId AND deleted = 0", new { volumeId });
    }

    [Fact]
    public async Task A_worker_lost_during_an_attach_leaves_a_volume_that_a_reset_or_a_retry_recovers()
    {
        var backend = await StartBackendAsync();
        var created = await PostAsync("/v3/volumes", A, new { volume = new { size = 1 } });
        AssertStatus(HttpStatusCode.Accepted, created);
        var id = created.Body.GetProperty("volume").GetProperty("id").GetString()!;
        Assert.True(await Eventually.TrueAsync(async () => await StatusAsync(id) == "available", TimeSpan.FromSeconds(20)));

        var server = Guid.NewGuid().ToString();
        var connector = new { host = "compute-1", ip = "192.0.2.10" };
        var reserved = await PostAsync("/v3/attachments", A, new { attachment = new { volume_uuid = id, instance_uuid = server } }, "3.44");
        AssertStatus(HttpStatusCode.OK, reserved);
        var attachmentId = reserved.Body.GetProperty("attachment").GetProperty("id").GetString()!;

        // The worker goes; the connection it would have made is asked for and never answered.
        await backend.DisposeAsync();
        var refused = await SendAsync(HttpMethod.Put, $"/v3/attachments/{attachmentId}", A, new { attachment = new { connector } }, "3.44");
        Assert.Contains("can be made again", AssertError(HttpStatusCode.InternalServerError, "computeFault", refused));
        Assert.Equal("reserved", await StatusAsync(id));
        var attachment = (await GetAsync($"/v3/attachments/{attachmentId}", A, "3.44")).Body.GetProperty("attachment");
        Assert.Equal("reserved", attachment.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, attachment.GetProperty("connection_info").ValueKind);

        // The operator's way out: `openstack volume set --state available`.
        AssertStatus(HttpStatusCode.Accepted, await PostAsync($"/v3/volumes/{id}/action", Admin,
            JsonSerializer.Serialize(new Dictionary<string, object> { ["os-reset_status"] = new { status = "available" } })));
        Assert.Equal("available", await StatusAsync(id));
        Assert.Equal(0, await LiveAttachmentsAsync(id));
        Assert.Empty((await GetAsync($"/v3/volumes/{id}", A)).Body.GetProperty("volume").GetProperty("attachments").EnumerateArray());

        // A worker back, the same attach again goes through.
        await StartBackendAsync();
        reserved = await PostAsync("/v3/attachments", A, new { attachment = new { volume_uuid = id, instance_uuid = server, connector } }, "3.44");
        AssertStatus(HttpStatusCode.OK, reserved);
        Assert.Equal("file", reserved.Body.GetProperty("attachment").GetProperty("connection_info").GetProperty("driver_volume_type").GetString());
        attachmentId = reserved.Body.GetProperty("attachment").GetProperty("id").GetString()!;
        AssertStatus(HttpStatusCode.NoContent, await PostAsync($"/v3/attachments/{attachmentId}/action", A,
            JsonSerializer.Serialize(new Dictionary<string, object?> { ["os-complete"] = null }), "3.44"));
        Assert.Equal("in-use", await StatusAsync(id));
        Assert.Equal(1, await LiveAttachmentsAsync(id));
    }
}
