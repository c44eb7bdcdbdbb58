using System.Net;
using System.Text.Json;
using ComputeApi.ServerGroups;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Hosting;
using Platform.TestSupport;

namespace ComputeApi.Tests;

/// <summary>os-server-groups per microversion: policies before 2.64, policy and rules from 2.64, owners from 2.13, quota.</summary>
public sealed class ServerGroupTests(MySqlFixture mysql, RabbitMqFixture rabbit)
    : InfrastructureTestBase(mysql, rabbit, "capisg"), IClassFixture<MySqlFixture>, IClassFixture<RabbitMqFixture>
{
    private async Task<JsonElement> CreateAsync(string token, object group, string? microversion = null)
    {
        var answer = await PostAsync("/v2.1/os-server-groups", token, new { server_group = group }, microversion);
        AssertStatus(HttpStatusCode.OK, answer);
        return answer.Body.GetProperty("server_group");
    }

    private async Task<int> CountAsync(string token) =>
        (await GetAsync("/v2.1/os-server-groups?all_projects=1", token)).Body.GetProperty("server_groups").GetArrayLength();

    [Fact]
    public async Task A_group_is_created_listed_shown_and_deleted_in_each_microversions_shape()
    {
        var old = await CreateAsync(A, new { name = "web", policies = new[] { "anti-affinity" } });
        Assert.Equal(["anti-affinity"], old.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(JsonValueKind.Object, old.GetProperty("metadata").ValueKind);
        Assert.Equal(0, old.GetProperty("members").GetArrayLength());
        Assert.False(old.TryGetProperty("project_id", out _));
        Assert.False(old.TryGetProperty("policy", out _));
        var id = old.GetProperty("id").GetString()!;

        var v213 = (await GetAsync($"/v2.1/os-server-groups/{id}", A, "2.13")).Body.GetProperty("server_group");
        Assert.Equal("project-a", v213.GetProperty("project_id").GetString());
        Assert.Equal("user-of-project-a", v213.GetProperty("user_id").GetString());

        var v264 = (await GetAsync($"/v2.1/os-server-groups/{id}", A, "2.64")).Body.GetProperty("server_group");
        Assert.Equal("anti-affinity", v264.GetProperty("policy").GetString());
        Assert.Equal(JsonValueKind.Object, v264.GetProperty("rules").ValueKind);
        Assert.False(v264.TryGetProperty("policies", out _));
        Assert.False(v264.TryGetProperty("metadata", out _));

        var ruled = await CreateAsync(A, new { name = "db", policy = "anti-affinity", rules = new { max_server_per_host = 2 } }, "2.64");
        Assert.Equal(2, ruled.GetProperty("rules").GetProperty("max_server_per_host").GetInt32());
        var soft = await CreateAsync(A, new { name = "soft", policies = new[] { "soft-affinity" } }, "2.15");
        Assert.Equal("soft-affinity", soft.GetProperty("policies")[0].GetString());

        var listed = (await GetAsync("/v2.1/os-server-groups", A)).Body.GetProperty("server_groups");
        Assert.Equal(3, listed.GetArrayLength());
        var paged = (await GetAsync("/v2.1/os-server-groups?limit=1&offset=1", A)).Body.GetProperty("server_groups");
        Assert.Equal(ruled.GetProperty("id").GetString(), Assert.Single(paged.EnumerateArray()).GetProperty("id").GetString());

        // Project B neither lists nor reads project A's groups; the admin lists all with all_projects.
        Assert.Equal(0, (await GetAsync("/v2.1/os-server-groups", B)).Body.GetProperty("server_groups").GetArrayLength());
        Assert.Equal(0, (await GetAsync("/v2.1/os-server-groups?all_projects=1", B)).Body.GetProperty("server_groups").GetArrayLength());
        AssertError(HttpStatusCode.Forbidden, await GetAsync($"/v2.1/os-server-groups/{id}", B));
        AssertError(HttpStatusCode.Forbidden, await DeleteAsync($"/v2.1/os-server-groups/{id}", B));
        var all = (await GetAsync("/v2.1/os-server-groups?all_projects=1", Admin)).Body.GetProperty("server_groups");
        Assert.Contains(all.EnumerateArray(), g => g.GetProperty("id").GetString() == id);
        Assert.Equal(0, (await GetAsync("/v2.1/os-server-groups", Admin)).Body.GetProperty("server_groups").GetArrayLength());

        AssertStatus(HttpStatusCode.NoContent, await DeleteAsync($"/v2.1/os-server-groups/{id}", A));
        Assert.Contains("could not be found", AssertError(HttpStatusCode.NotFound, await GetAsync($"/v2.1/os-server-groups/{id}", A)));
        AssertError(HttpStatusCode.NotFound, await DeleteAsync($"/v2.1/os-server-groups/{id}", A));
    }

    [Fact]
    public async Task Bad_policies_and_rules_get_nova_400s_and_write_nothing()
    {
        var before = await CountAsync(Admin);
        async Task Refused(object group, string? microversion = null) =>
            AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-server-groups", A, new { server_group = group }, microversion));

        await Refused(new { name = "x", policies = new[] { "soft-affinity" } });
        await Refused(new { name = "x", policies = new[] { "bogus" } }, "2.15");
        await Refused(new { name = "x", policies = Array.Empty<string>() });
        await Refused(new { name = "x", policies = new[] { "affinity", "anti-affinity" } });
        await Refused(new { name = "x" });
        await Refused(new { policies = new[] { "affinity" } });
        await Refused(new { name = "", policies = new[] { "affinity" } });
        await Refused(new { name = "x", policy = "affinity" });
        await Refused(new { name = "x", policies = new[] { "affinity" } }, "2.64");
        await Refused(new { name = "x", policy = "nope" }, "2.64");
        await Refused(new { name = "x", policy = "anti-affinity", rules = new { max_server_per_host = 0 } }, "2.64");
        await Refused(new { name = "x", policy = "anti-affinity", rules = new { other = 1 } }, "2.64");
        var message = AssertError(HttpStatusCode.BadRequest, await PostAsync("/v2.1/os-server-groups", A,
            new { server_group = new { name = "x", policy = "affinity", rules = new { max_server_per_host = 2 } } }, "2.64"));
        Assert.Contains("Only anti-affinity policy supports rules", message);
        AssertError(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "/v2.1/os-server-groups", A, "{not json"));
        // A reader may not create.
        AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/os-server-groups", ReaderA, new { server_group = new { name = "r", policies = new[] { "affinity" } } }));
        Assert.Equal(before, await CountAsync(Admin));
    }

    [Fact]
    public async Task The_server_groups_quota_refuses_the_eleventh_group_with_403()
    {
        var q = Tokens.Issue("project-q", "member", "reader");
        for (var i = 0; i < 10; i++)
            await CreateAsync(q, new { name = $"g{i}", policies = new[] { "affinity" } });
        var message = AssertError(HttpStatusCode.Forbidden, await PostAsync("/v2.1/os-server-groups", q, new { server_group = new { name = "g10", policies = new[] { "affinity" } } }));
        Assert.Contains("Quota exceeded", message);
        Assert.Equal(10, (await GetAsync("/v2.1/os-server-groups", q)).Body.GetProperty("server_groups").GetArrayLength());
    }

    [Fact]
    public async Task Server_create_resolves_the_group_hint_and_adds_members_up_to_the_quota()
    {
        var group = await CreateAsync(A, new { name = "spread", policy = "anti-affinity", rules = new { max_server_per_host = 2 } }, "2.64");
        var id = group.GetProperty("id").GetString()!;
        var lookup = Factory.Services.GetRequiredService<ServerGroupLookup>();
        await using var c = await Factory.Services.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        await using (var tx = await c.BeginTransactionAsync())
        {
            Assert.Null(await lookup.GetForBuildAsync(tx, id, "project-b"));
            Assert.Null(await lookup.GetForBuildAsync(tx, Guid.NewGuid().ToString(), "project-a"));
            var found = await lookup.GetForBuildAsync(tx, id, "project-a");
            Assert.NotNull(found);
            Assert.Equal("anti-affinity", found.Spec.Policy);
            Assert.Equal(2, found.Spec.MaxServerPerHost);
            Assert.Empty(found.Members);
            var members = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid().ToString()).ToList();
            foreach (var member in members) await lookup.AddMemberAsync(tx, id, member);
            await lookup.AddMemberAsync(tx, id, members[0]);
            var full = await Assert.ThrowsAsync<ApiException>(() => lookup.AddMemberAsync(tx, id, Guid.NewGuid().ToString()));
            Assert.Equal(HttpStatusCode.Forbidden, full.Status);
            Assert.Equal(members, (await lookup.GetForBuildAsync(tx, id, null))!.Members.OrderBy(m => members.IndexOf(m)));
            await tx.CommitAsync();
        }
        var shown = (await GetAsync($"/v2.1/os-server-groups/{id}", A)).Body.GetProperty("server_group");
        Assert.Equal(10, shown.GetProperty("members").GetArrayLength());

        // A member whose server the read model shows deleted is no longer listed.
        var gone = shown.GetProperty("members")[0].GetString();
        await Dapper.SqlMapper.ExecuteAsync(c, """
            INSERT INTO instances (uuid, version, project_id, display_name, vm_state, data, created_at, deleted)
            VALUES (@gone, 3, 'project-a', 'vm', 'deleted', '{}', UTC_TIMESTAMP(6), 1)
            """, new { gone });
        var after = (await GetAsync($"/v2.1/os-server-groups/{id}", A)).Body.GetProperty("server_group").GetProperty("members");
        Assert.Equal(9, after.GetArrayLength());
        Assert.DoesNotContain(after.EnumerateArray(), m => m.GetString() == gone);
    }
}
