using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Platform.Auth;
using Platform.TestSupport;

namespace Identity.Tests;

/// <summary>
/// Token issue reads users, projects, domains and assignments through a cache of a few seconds.
/// What this instance changes is seen by the very next token; a revocation heard from another
/// instance drops the cache; a change made behind the service's back is seen within the lifetime.
/// </summary>
public sealed class TokenCacheTests(MySqlFixture mysql, RabbitMqFixture rabbit) : BootstrappedIdentity(mysql, rabbit, "idcache")
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["cache:expiration_time"] = "2" };

    private static string Rescope(string token, string scope) =>
        "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":" + JsonSerializer.Serialize(token) + "}}" + scope + "}}";

    private static string ById(string projectId) => $",\"scope\":{{\"project\":{{\"id\":\"{projectId}\"}}}}";

    private async Task<HttpStatusCode> RescopeAsync(string scope) => (await PostAsync("/v3/auth/tokens", Rescope(Admin, scope), null)).Item1;

    private async Task<string> NewProjectAsync(string name)
    {
        var (status, body, _) = await PostAsync("/v3/projects", $"{{\"project\":{{\"name\":\"{name}\"}}}}", Admin);
        Assert.Equal(HttpStatusCode.Created, status);
        return body.GetProperty("project").GetProperty("id").GetString()!;
    }

    /// <summary>Gives the admin user the member role on <paramref name="project"/>, through the API.</summary>
    private async Task GrantAsync(string project)
    {
        var admin = await IdOfAsync("users", "admin");
        var member = await IdOfAsync("roles", "member");
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Put, $"/v3/projects/{project}/users/{admin}/roles/{member}"));
    }

    /// <summary>A new project the admin holds a role on, with a rescope to it done, so its rows are cached.</summary>
    private async Task<string> CachedProjectAsync(string name)
    {
        var project = await NewProjectAsync(name);
        await GrantAsync(project);
        Assert.Equal(HttpStatusCode.Created, await RescopeAsync(ById(project)));
        return project;
    }

    private async Task<string> IdOfAsync(string table, string name)
    {
        await using var c = new MySqlConnection(Factory.Database);
        return await c.ExecuteScalarAsync<string>($"SELECT id FROM `{table}` WHERE name = @name", new { name }) ?? throw new InvalidOperationException(name);
    }

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Auth-Token", Admin);
        return (await Http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task A_grant_made_here_counts_for_the_next_rescope()
    {
        var project = await NewProjectAsync("granted-late");
        Assert.Equal(HttpStatusCode.Unauthorized, await RescopeAsync(ById(project)));
        await GrantAsync(project);
        Assert.Equal(HttpStatusCode.Created, await RescopeAsync(ById(project)));
    }

    [Fact]
    public async Task A_rename_made_here_counts_for_the_next_rescope_by_name()
    {
        var project = await NewProjectAsync("old-name");
        await GrantAsync(project);
        Assert.Equal(HttpStatusCode.Created, await RescopeAsync(Scope("old-name")));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Patch, $"/v3/projects/{project}", new { project = new { name = "new-name" } }));
        Assert.Equal(HttpStatusCode.Unauthorized, await RescopeAsync(Scope("old-name")));
        Assert.Equal(HttpStatusCode.Created, await RescopeAsync(Scope("new-name")));
    }

    [Fact]
    public async Task A_revocation_from_another_instance_drops_what_was_cached()
    {
        var project = await CachedProjectAsync("elsewhere-disabled");

        // Another instance disables the project: the row changes, and its revocation fanout lands here.
        await using (var c = new MySqlConnection(Factory.Database))
            await c.ExecuteAsync("UPDATE projects SET enabled = 0 WHERE id = @project", new { project });
        Factory.Services.GetRequiredService<InMemoryTokenRevocationList>()
            .Add(new RevocationEvent { ProjectId = project, IssuedBefore = DateTimeOffset.UtcNow });
        Assert.Equal(HttpStatusCode.Unauthorized, await RescopeAsync(ById(project)));
    }

    [Fact]
    public async Task A_change_behind_the_service_s_back_is_seen_within_the_cache_lifetime()
    {
        var project = await CachedProjectAsync("quietly-disabled");

        await using (var c = new MySqlConnection(Factory.Database))
            await c.ExecuteAsync("UPDATE projects SET enabled = 0 WHERE id = @project", new { project });
        // The cached rows may still issue a token for up to the lifetime (two seconds here), not longer.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(HttpStatusCode.Unauthorized, await RescopeAsync(ById(project)));
    }
}
