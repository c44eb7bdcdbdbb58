using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Auth.Tests;

public sealed class TokenAuthMiddlewareTests : IAsyncLifetime
{
    private readonly TestKey key = new("mw-key");
    private readonly TestKey serviceKey = new("mw-service-key");
    private JwksServer identity = null!;
    private AuthTestApp service = null!;

    public async Task InitializeAsync()
    {
        identity = await JwksServer.StartAsync();
        identity.Publish(key, serviceKey);
        service = await AuthTestApp.StartAsync(identity.BaseUrl);
    }

    private static TokenPayload Payload() => TestKey.Payload(DateTimeOffset.UtcNow);

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task AssertUnauthorized(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Keystone uri=\"{identity.BaseUrl}\"", response.Headers.WwwAuthenticate.ToString());
        var error = (await Json(response)).GetProperty("error");
        Assert.Equal(401, error.GetProperty("code").GetInt32());
        Assert.Equal("The request you have made requires authentication.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_protected_endpoint_without_a_token_answers_401_with_the_keystone_challenge() =>
        await AssertUnauthorized(await service.GetAsync("/protected"));

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJFUzI1NiIsImtpZCI6Im13LWtleSJ9.e30.AAAA")]
    public async Task A_malformed_or_badly_signed_token_answers_401(string token) =>
        await AssertUnauthorized(await service.GetAsync("/protected", token));

    [Fact]
    public async Task An_expired_token_answers_401()
    {
        var old = DateTimeOffset.UtcNow.AddHours(-3);
        await AssertUnauthorized(await service.GetAsync("/protected", key.Sign(TestKey.Payload(old))));
    }

    [Fact]
    public async Task A_token_from_an_unknown_key_answers_401()
    {
        using var stranger = new TestKey("stranger");
        await AssertUnauthorized(await service.GetAsync("/protected", stranger.Sign(Payload())));
    }

    [Fact]
    public async Task A_revoked_token_answers_401()
    {
        var payload = Payload();
        var token = key.Sign(payload);
        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync("/protected", token)).StatusCode);

        service.App.Services.GetRequiredService<InMemoryTokenRevocationList>().RevokeAuditId(payload.AuditIds[0]);
        await AssertUnauthorized(await service.GetAsync("/protected", token));
    }

    [Fact]
    public async Task An_anonymous_endpoint_answers_without_a_token_or_with_a_bad_one()
    {
        var none = await service.GetAsync("/open");
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await Json(none)).GetProperty("user_id").ValueKind);

        var bad = await service.GetAsync("/open", "garbage");
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await Json(bad)).GetProperty("user_id").ValueKind);

        Assert.Equal(HttpStatusCode.OK, (await service.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task An_anonymous_endpoint_still_sees_a_good_token()
    {
        var body = await Json(await service.GetAsync("/open", key.Sign(Payload())));
        Assert.Equal("u-1", body.GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task A_good_token_populates_the_request_context_and_keeps_the_request_ids()
    {
        var globalId = "req-" + Guid.NewGuid();
        var payload = Payload() with { DomainId = null, SystemScope = null };
        var response = await service.GetAsync("/protected", key.Sign(payload), globalRequestId: globalId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("u-1", body.GetProperty("user_id").GetString());
        Assert.Equal("alice", body.GetProperty("user_name").GetString());
        Assert.Equal("default", body.GetProperty("user_domain_id").GetString());
        Assert.Equal("p-1", body.GetProperty("project_id").GetString());
        Assert.Equal("demo", body.GetProperty("project_name").GetString());
        Assert.Equal("default", body.GetProperty("project_domain_id").GetString());
        Assert.Equal(["member", "reader"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(body.GetProperty("has_token").GetBoolean());
        Assert.Equal(globalId, body.GetProperty("global_request_id").GetString());
        Assert.Equal(response.Headers.GetValues("x-openstack-request-id").Single(), body.GetProperty("request_id").GetString());
        Assert.Empty(body.GetProperty("service_roles").EnumerateArray());
    }

    [Fact]
    public async Task Domain_and_system_scope_reach_the_context()
    {
        var domain = await Json(await service.GetAsync("/protected", key.Sign(TestKey.Payload(DateTimeOffset.UtcNow, projectId: null) with { DomainId = "d-1" })));
        Assert.Equal("d-1", domain.GetProperty("domain_id").GetString());
        var system = await Json(await service.GetAsync("/protected", key.Sign(TestKey.Payload(DateTimeOffset.UtcNow, projectId: null) with { SystemScope = "all" })));
        Assert.Equal("all", system.GetProperty("system_scope").GetString());
    }

    [Fact]
    public async Task A_service_token_adds_the_service_user_and_roles()
    {
        var serviceToken = serviceKey.Sign(TestKey.Payload(DateTimeOffset.UtcNow, userId: "nova") with { Roles = ["service"] });
        var body = await Json(await service.GetAsync("/protected", key.Sign(Payload()), serviceToken));
        Assert.Equal("u-1", body.GetProperty("user_id").GetString());
        Assert.Equal("nova", body.GetProperty("service_user_id").GetString());
        Assert.Equal(["service"], body.GetProperty("service_roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task An_expired_user_token_passes_beside_a_service_token_with_the_service_role()
    {
        // TestKey.Payload(t) expires an hour after t: this one expired two hours ago.
        var expired = key.Sign(TestKey.Payload(DateTimeOffset.UtcNow.AddHours(-3)));
        var serviceToken = serviceKey.Sign(TestKey.Payload(DateTimeOffset.UtcNow, userId: "glance") with { Roles = ["service"] });
        var body = await Json(await service.GetAsync("/protected", expired, serviceToken));
        Assert.Equal("u-1", body.GetProperty("user_id").GetString());
        Assert.Equal("glance", body.GetProperty("service_user_id").GetString());
        // Alone, the same token is still refused.
        await AssertUnauthorized(await service.GetAsync("/protected", expired));
    }

    [Fact]
    public async Task A_service_token_without_the_service_role_does_not_excuse_an_expired_user_token()
    {
        var expired = key.Sign(TestKey.Payload(DateTimeOffset.UtcNow.AddHours(-3)));
        var memberToken = serviceKey.Sign(TestKey.Payload(DateTimeOffset.UtcNow, userId: "someone") with { Roles = ["member"] });
        await AssertUnauthorized(await service.GetAsync("/protected", expired, memberToken));
    }

    [Fact]
    public async Task A_user_token_past_the_allowed_window_is_refused_even_beside_a_service_token()
    {
        var ancient = key.Sign(TestKey.Payload(DateTimeOffset.UtcNow.AddHours(-60)));
        var serviceToken = serviceKey.Sign(TestKey.Payload(DateTimeOffset.UtcNow, userId: "glance") with { Roles = ["service"] });
        await AssertUnauthorized(await service.GetAsync("/protected", ancient, serviceToken));
    }

    [Fact]
    public async Task A_revoked_user_token_is_refused_even_beside_a_service_token()
    {
        var payload = TestKey.Payload(DateTimeOffset.UtcNow.AddHours(-3));
        var serviceToken = serviceKey.Sign(TestKey.Payload(DateTimeOffset.UtcNow, userId: "glance") with { Roles = ["service"] });
        service.App.Services.GetRequiredService<InMemoryTokenRevocationList>().RevokeAuditId(payload.AuditIds[0]);
        await AssertUnauthorized(await service.GetAsync("/protected", key.Sign(payload), serviceToken));
    }

    [Fact]
    public async Task A_bad_service_token_answers_401() =>
        await AssertUnauthorized(await service.GetAsync("/protected", key.Sign(Payload()), "garbage"));

    public async Task DisposeAsync()
    {
        await service.DisposeAsync();
        await identity.DisposeAsync();
        key.Dispose();
        serviceKey.Dispose();
    }
}
