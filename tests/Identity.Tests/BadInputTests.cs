using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Identity.Keys;
using Identity.Tokens;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Platform.Auth;
using Platform.Hosting;
using Platform.TestSupport;

namespace Identity.Tests;

/// <summary>
/// Bad input gets keystone's status and error body, and writes nothing. In-process against the
/// real MariaDB and RabbitMQ, with a bootstrapped identity of its own.
/// </summary>
public sealed class BadInputTests(MySqlFixture mysql, RabbitMqFixture rabbit) : BootstrappedIdentity(mysql, rabbit, "idbad")
{
    private static void AssertKeystoneError(JsonElement body, int code)
    {
        var error = body.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("{\"project\": ")]
    [InlineData("[]")]
    [InlineData("{\"project\": {\"name\": 42}}")]
    [InlineData("{\"project\": {\"name\": \"\"}}")]
    [InlineData("{\"project\": {\"name\": \"x\", \"enabled\": \"yes\"}}")]
    public async Task A_malformed_body_is_a_400_and_creates_nothing(string body)
    {
        var before = await CountAsync("projects");
        var (status, error, _) = await PostAsync("/v3/projects", body, Admin);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertKeystoneError(error, 400);
        Assert.Equal(before, await CountAsync("projects"));
    }

    [Fact]
    public async Task A_wrong_password_an_unknown_user_and_an_unknown_scope_are_401()
    {
        var (wrong, error, token) = await IssueAsync("admin", "not-it");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        AssertKeystoneError(error, 401);
        Assert.Null(token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await IssueAsync("nobody", "x")).Item1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await IssueAsync("admin", AdminPassword, Scope("no-such-project"))).Item1);
        // The demo user exists but has no role on the admin project.
        Assert.Equal(HttpStatusCode.Unauthorized, (await IssueAsync("demo", "demo-secret", Scope("admin"))).Item1);
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account()
    {
        var (created, _, _) = await PostAsync("/v3/users", "{\"user\":{\"name\":\"locky\",\"password\":\"right-one\"}}", Admin);
        Assert.Equal(HttpStatusCode.Created, created);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await IssueAsync("locky", "wrong")).Item1);
        var (locked, error, _) = await IssueAsync("locky", "right-one");
        Assert.Equal(HttpStatusCode.Unauthorized, locked);
        Assert.Contains("locked", error.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_disabled_user_cannot_authenticate_and_its_tokens_end()
    {
        var (created, user, _) = await PostAsync("/v3/users", "{\"user\":{\"name\":\"soon-off\",\"password\":\"pw-1\",\"default_project_id\":null}}", Admin);
        Assert.Equal(HttpStatusCode.Created, created);
        var id = user.GetProperty("user").GetProperty("id").GetString();
        var (_, _, token) = await IssueAsync("soon-off", "pw-1");
        Assert.NotNull(token);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v3/users/{id}") { Content = JsonContent.Create(new { user = new { enabled = false } }) };
        patch.Headers.Add("X-Auth-Token", Admin);
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(patch)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await IssueAsync("soon-off", "pw-1")).Item1);
        using var validate = new HttpRequestMessage(HttpMethod.Get, "/v3/auth/tokens");
        validate.Headers.Add("X-Auth-Token", Admin);
        validate.Headers.Add("X-Subject-Token", token);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendAsync(validate)).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var issuer = Factory.Services.GetRequiredService<ITokenIssuer>();
        var validator = Factory.Services.GetRequiredService<TokenValidator>();
        var good = (await validator.ValidateAsync(Admin)).Token!;
        var expired = issuer.Issue(good with { IssuedAt = DateTimeOffset.UtcNow.AddHours(-2), ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1), AuditIds = ["expired-audit-id"] });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v3/projects");
        request.Headers.Add("X-Auth-Token", expired);
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertKeystoneError(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, 401);
    }

    [Fact]
    public async Task Duplicate_names_are_409_and_write_nothing()
    {
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/v3/projects", "{\"project\":{\"name\":\"twice\"}}", Admin)).Item1);
        var before = await CountAsync("projects");
        var (status, error, _) = await PostAsync("/v3/projects", "{\"project\":{\"name\":\"twice\"}}", Admin);
        Assert.Equal(HttpStatusCode.Conflict, status);
        AssertKeystoneError(error, 409);
        Assert.Equal(before, await CountAsync("projects"));

        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync("/v3/users", "{\"user\":{\"name\":\"admin\"}}", Admin)).Item1);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync("/v3/roles", "{\"role\":{\"name\":\"member\"}}", Admin)).Item1);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync("/v3/domains", "{\"domain\":{\"name\":\"Default\"}}", Admin)).Item1);
    }

    [Fact]
    public async Task A_grant_for_a_missing_user_is_404_and_grants_nothing()
    {
        var (_, project, _) = await PostAsync("/v3/projects", "{\"project\":{\"name\":\"grant-target\"}}", Admin);
        var projectId = project.GetProperty("project").GetProperty("id").GetString();
        await using var c = new MySqlConnection(Factory.Database);
        var roleId = await c.ExecuteScalarAsync<string>("SELECT id FROM roles WHERE name = 'member'");
        var before = await CountAsync("role_assignments");
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/v3/projects/{projectId}/users/no-such-user/roles/{roleId}");
        put.Headers.Add("X-Auth-Token", Admin);
        var response = await Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Could not find user: no-such-user.", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await CountAsync("role_assignments"));
    }

    [Fact]
    public async Task A_member_may_not_create_users_and_nothing_is_written()
    {
        var (_, _, demo) = await IssueAsync("demo", "demo-secret", Scope("demo"));
        var before = await CountAsync("users");
        var (status, error, _) = await PostAsync("/v3/users", "{\"user\":{\"name\":\"sneaky\"}}", demo);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        AssertKeystoneError(error, 403);
        Assert.Equal(before, await CountAsync("users"));
    }
}
