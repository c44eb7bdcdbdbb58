using System.Net;
using System.Text;
using System.Text.Json;
using Platform.TestSupport;
using static Platform.Fleet.Tests.OpenStackCli;

namespace Platform.Fleet.Tests;

/// <summary>The identity service through the real `openstack` client, as an operator drives it.</summary>
[Collection(FleetCollection.Name)]
public sealed class IdentityCliTests(FleetFixture fleet)
{
    private Dictionary<string, string> Admin => fleet.OpenRc();
    private Dictionary<string, string> Demo => fleet.OpenRc("demo", "demo");

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public async Task Token_issue_gives_a_scoped_token()
    {
        var token = await JsonAsync(Admin, "token", "issue");
        Assert.False(string.IsNullOrEmpty(token.GetProperty("id").GetString()));
        Assert.False(string.IsNullOrEmpty(token.GetProperty("project_id").GetString()));
        Assert.False(string.IsNullOrEmpty(token.GetProperty("user_id").GetString()));
    }

    [Fact]
    public async Task Catalog_services_endpoints_and_regions_list_every_service()
    {
        var catalog = await JsonAsync(Admin, "catalog", "list");
        var types = catalog.EnumerateArray().Select(s => s.GetProperty("Type").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "identity", "compute", "network", "image", "volumev3", "block-storage", "placement" }, types);

        var services = await JsonAsync(Admin, "service", "list");
        Assert.Equal(7, services.GetArrayLength());
        var endpoints = await JsonAsync(Admin, "endpoint", "list");
        Assert.Equal(21, endpoints.GetArrayLength());
        Assert.Equal(["admin", "internal", "public"], endpoints.EnumerateArray().Select(e => e.GetProperty("Interface").GetString()).Distinct().Order());
        var regions = await JsonAsync(Admin, "region", "list");
        Assert.Contains(regions.EnumerateArray(), r => r.GetProperty("Region").GetString() == "RegionOne");
    }

    [Fact]
    public async Task Domains_projects_users_groups_and_roles_are_created_listed_shown_set_and_deleted()
    {
        var domain = Unique("dom");
        await JsonAsync(Admin, "domain", "create", "--description", "first", domain);
        Assert.Contains((await JsonAsync(Admin, "domain", "list")).EnumerateArray(), d => d.GetProperty("Name").GetString() == domain);
        await RunAsync(Admin, "domain", "set", "--description", "second", domain).ContinueWith(t => t.Result.Ok());
        Assert.Equal("second", (await JsonAsync(Admin, "domain", "show", domain)).GetProperty("description").GetString());

        var project = Unique("proj");
        var created = await JsonAsync(Admin, "project", "create", "--domain", domain, "--description", "p", "--tag", "blue", project);
        Assert.Equal(domain, (await JsonAsync(Admin, "domain", "show", domain)).GetProperty("name").GetString());
        var child = Unique("child");
        var childProject = await JsonAsync(Admin, "project", "create", "--domain", domain, "--parent", project, child);
        Assert.Equal(created.GetProperty("id").GetString(), childProject.GetProperty("parent_id").GetString());
        (await RunAsync(Admin, "project", "set", "--domain", domain, "--disable", project)).Ok();
        Assert.False((await JsonAsync(Admin, "project", "show", "--domain", domain, project)).GetProperty("enabled").GetBoolean());

        var user = Unique("user");
        await JsonAsync(Admin, "user", "create", "--domain", domain, "--password", "s3cret-pass", "--email", "a@example.com", user);
        Assert.Contains((await JsonAsync(Admin, "user", "list", "--domain", domain)).EnumerateArray(), u => u.GetProperty("Name").GetString() == user);
        (await RunAsync(Admin, "user", "set", "--domain", domain, "--email", "b@example.com", user)).Ok();
        Assert.Equal("b@example.com", (await JsonAsync(Admin, "user", "show", "--domain", domain, user)).GetProperty("email").GetString());

        var group = Unique("grp");
        await JsonAsync(Admin, "group", "create", "--domain", domain, group);
        Assert.Contains((await JsonAsync(Admin, "group", "list", "--domain", domain)).EnumerateArray(), g => g.GetProperty("Name").GetString() == group);
        (await RunAsync(Admin, "group", "set", "--domain", domain, "--description", "the group", group)).Ok();
        Assert.Equal("the group", (await JsonAsync(Admin, "group", "show", "--domain", domain, group)).GetProperty("description").GetString());
        (await RunAsync(Admin, "group", "add", "user", "--group-domain", domain, "--user-domain", domain, group, user)).Ok();
        Assert.Contains((await JsonAsync(Admin, "user", "list", "--group", group, "--domain", domain)).EnumerateArray(), u => u.GetProperty("Name").GetString() == user);

        var role = Unique("role");
        await JsonAsync(Admin, "role", "create", role);
        Assert.Contains((await JsonAsync(Admin, "role", "list")).EnumerateArray(), r => r.GetProperty("Name").GetString() == role);
        Assert.Equal(role, (await JsonAsync(Admin, "role", "show", role)).GetProperty("name").GetString());
        (await RunAsync(Admin, "role", "set", "--description", "a role", role)).Ok();
        Assert.Equal("a role", (await JsonAsync(Admin, "role", "show", role)).GetProperty("description").GetString());

        // Deletes, in keystone's order: what is inside first.
        (await RunAsync(Admin, "role", "delete", role)).Ok();
        (await RunAsync(Admin, "group", "delete", "--domain", domain, group)).Ok();
        Assert.DoesNotContain((await JsonAsync(Admin, "group", "list", "--domain", domain)).EnumerateArray(), g => g.GetProperty("Name").GetString() == group);
        (await RunAsync(Admin, "user", "delete", "--domain", domain, user)).Ok();
        Assert.Empty((await JsonAsync(Admin, "user", "list", "--domain", domain)).EnumerateArray());
        (await RunAsync(Admin, "project", "delete", "--domain", domain, child)).Ok();
        (await RunAsync(Admin, "project", "delete", "--domain", domain, project)).Ok();
        // An enabled domain is not deleted; a disabled one is.
        Assert.NotEqual(0, (await RunAsync(Admin, "domain", "delete", domain)).ExitCode);
        (await RunAsync(Admin, "domain", "set", "--disable", domain)).Ok();
        (await RunAsync(Admin, "domain", "delete", domain)).Ok();
        Assert.DoesNotContain((await JsonAsync(Admin, "domain", "list")).EnumerateArray(), d => d.GetProperty("Name").GetString() == domain);
    }

    [Fact]
    public async Task Role_add_and_effective_assignments_with_names()
    {
        var project = Unique("ra");
        var user = Unique("rau");
        await JsonAsync(Admin, "project", "create", project);
        await JsonAsync(Admin, "user", "create", "--password", "pw-12345", user);
        (await RunAsync(Admin, "role", "add", "--user", user, "--project", project, "member")).Ok();

        var assignments = await JsonAsync(Admin, "role", "assignment", "list", "--names", "--effective", "--user", user);
        var roles = assignments.EnumerateArray().Select(a => a.GetProperty("Role").GetString()).Order().ToList();
        // member implies reader: the effective list shows both, on the project, by name.
        Assert.Equal(["member", "reader"], roles);
        Assert.All(assignments.EnumerateArray(), a => Assert.Equal($"{project}@Default", a.GetProperty("Project").GetString()));
        Assert.All(assignments.EnumerateArray(), a => Assert.Equal($"{user}@Default", a.GetProperty("User").GetString()));

        var implied = await JsonAsync(Admin, "implied", "role", "list");
        Assert.Contains(implied.EnumerateArray(), r => r.GetProperty("Prior Role Name").GetString() == "admin" && r.GetProperty("Implied Role Name").GetString() == "member");

        // The new user can now scope to the project.
        var token = await JsonAsync(fleet.OpenRc(user, project, "pw-12345"), "token", "issue");
        Assert.False(string.IsNullOrEmpty(token.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task An_application_credential_authenticates_with_its_roles_only()
    {
        var name = Unique("ac");
        var created = await JsonAsync(Admin, "application", "credential", "create", "--role", "reader", name);
        var secret = created.GetProperty("secret").GetString()!;
        var env = new Dictionary<string, string>
        {
            ["OS_AUTH_URL"] = fleet.AuthUrl,
            ["OS_AUTH_TYPE"] = "v3applicationcredential",
            ["OS_APPLICATION_CREDENTIAL_ID"] = created.GetProperty("id").GetString()!,
            ["OS_APPLICATION_CREDENTIAL_SECRET"] = secret,
            ["OS_IDENTITY_API_VERSION"] = "3",
            ["OS_INTERFACE"] = "public",
        };
        var token = await JsonAsync(env, "token", "issue");
        Assert.Equal(created.GetProperty("project_id").GetString(), token.GetProperty("project_id").GetString());
        // The secret is shown once: listing does not repeat it.
        var listed = await JsonAsync(Admin, "application", "credential", "show", name);
        Assert.False(listed.TryGetProperty("secret", out _));
        // A reader-only credential cannot create a project.
        Assert.NotEqual(0, (await RunAsync(env, "project", "create", Unique("acp"))).ExitCode);
        (await RunAsync(Admin, "application", "credential", "delete", name)).Ok();
        Assert.NotEqual(0, (await RunAsync(env, "token", "issue")).ExitCode);
    }

    [Fact]
    public async Task The_demo_member_lists_its_projects_but_may_not_create_users()
    {
        var mine = await JsonAsync(Demo, "project", "list", "--my-projects");
        Assert.Equal(["demo"], mine.EnumerateArray().Select(p => p.GetProperty("Name").GetString()));
        var refused = await RunAsync(Demo, "user", "create", "--password", "x", Unique("nope"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("403", refused.StdErr);
    }

    [Fact]
    public async Task A_revoked_token_is_refused_by_identity_and_by_another_service_within_a_second()
    {
        var token = (await JsonAsync(Admin, "token", "issue")).GetProperty("id").GetString()!;
        using var http = new HttpClient();
        async Task<HttpStatusCode> AskAsync(FleetProcess service, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri, path));
            request.Headers.Add("X-Auth-Token", token);
            request.Headers.Add("X-Subject-Token", token);
            return (await http.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await AskAsync(fleet.Identity, "/v3/auth/tokens"));

        (await RunAsync(Admin, "token", "revoke", token)).Ok();
        var revokedAt = DateTime.UtcNow;
        Assert.Equal(HttpStatusCode.Unauthorized, await AskAsync(fleet.Identity, "/v3/auth/tokens"));
        // Another service learns it from the fanout.
        var network = fleet.Get("network-server");
        Assert.True(await Eventually.TrueAsync(async () => await AskAsync(network, "/v3/protected-probe") == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5)));
        Assert.True(DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(1), $"took {(DateTime.UtcNow - revokedAt).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Bad_input_gets_keystones_status_and_error_body_and_writes_nothing()
    {
        using var http = new HttpClient();
        async Task<(HttpStatusCode, JsonElement)> PostAsync(string path, string body, string? token = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, fleet.AuthUrl + path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (token is not null) request.Headers.Add("X-Auth-Token", token);
            var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
        }
        string Password(string user, string password, string scope = "") =>
            "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"" + user
            + "\",\"domain\":{\"name\":\"Default\"},\"password\":\"" + password + "\"}}}" + scope + "}}";

        var (malformed, error) = await PostAsync("/auth/tokens", "{\"auth\": ");
        Assert.Equal(HttpStatusCode.BadRequest, malformed);
        Assert.Equal(400, error.GetProperty("error").GetProperty("code").GetInt32());

        var (wrong, wrongBody) = await PostAsync("/auth/tokens", Password("admin", "not-the-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("Unauthorized", wrongBody.GetProperty("error").GetProperty("title").GetString());

        var (unknownScope, _) = await PostAsync("/auth/tokens", Password("admin", fleet.AdminPassword, ",\"scope\":{\"project\":{\"name\":\"no-such-project\",\"domain\":{\"name\":\"Default\"}}}"));
        Assert.Equal(HttpStatusCode.Unauthorized, unknownScope);

        var admin = (await JsonAsync(Admin, "token", "issue")).GetProperty("id").GetString()!;
        var name = Unique("dup");
        var (first, _) = await PostAsync("/projects", $$$"""{"project":{"name":"{{{name}}}"}}""", admin);
        Assert.Equal(HttpStatusCode.Created, first);
        var (second, conflict) = await PostAsync("/projects", $$$"""{"project":{"name":"{{{name}}}"}}""", admin);
        Assert.Equal(HttpStatusCode.Conflict, second);
        Assert.Equal(409, conflict.GetProperty("error").GetProperty("code").GetInt32());

        // A grant for a user that does not exist: 404, and nothing granted.
        var projectId = (await JsonAsync(Admin, "project", "show", name)).GetProperty("id").GetString();
        var roleId = (await JsonAsync(Admin, "role", "show", "member")).GetProperty("id").GetString();
        using var put = new HttpRequestMessage(HttpMethod.Put, $"{fleet.AuthUrl}/projects/{projectId}/users/no-such-user/roles/{roleId}");
        put.Headers.Add("X-Auth-Token", admin);
        var missing = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Could not find user", await missing.Content.ReadAsStringAsync());
        Assert.Equal(0, (await JsonAsync(Admin, "role", "assignment", "list", "--project", name)).GetArrayLength());

        // A disabled user cannot authenticate.
        var user = Unique("off");
        await JsonAsync(Admin, "user", "create", "--password", "pw-12345", user);
        (await RunAsync(Admin, "user", "set", "--disable", user)).Ok();
        var (disabled, _) = await PostAsync("/auth/tokens", Password(user, "pw-12345"));
        Assert.Equal(HttpStatusCode.Unauthorized, disabled);
    }
}
