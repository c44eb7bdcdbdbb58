using Microsoft.Extensions.Configuration;
using Platform.Auth.Policy;
using Platform.Context;

namespace Platform.Auth.Tests;

public sealed class PolicyFileTests : IDisposable
{
    private static readonly RequestContext Member = new() { UserId = "u-1", ProjectId = "p-1", Roles = ["member"] };
    private static readonly Dictionary<string, object?> Target = new() { ["project_id"] = "p-1" };
    private readonly string dir = Directory.CreateTempSubdirectory("policy-").FullName;

    private static PolicyDefaultsBuilder Defaults() => new PolicyDefaultsBuilder()
        .Add("admin_required", "role:admin", "Holds the admin role")
        .Add("compute:get", "rule:admin_required or project_id:%(project_id)s")
        .Add("compute:delete", "rule:admin_required");

    private PolicyEnforcer Load(string fileName, string content)
    {
        var path = Path.Combine(dir, fileName);
        File.WriteAllText(path, content);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [PolicyExtensions.PolicyFileKey] = path })
            .Build();
        return new PolicyEnforcer(Defaults().Rules, PolicyExtensions.LoadOverrides(configuration));
    }

    [Fact]
    public void Yaml_file_replaces_a_default_and_keeps_the_others()
    {
        var enforcer = Load("policy.yaml", """
            # members may delete their project's servers here
            "compute:delete": "rule:admin_required or project_id:%(project_id)s"
            """);
        Assert.True(enforcer.Authorize("compute:delete", Target, Member));
        Assert.True(enforcer.Authorize("compute:get", Target, Member));
        Assert.Equal("role:admin", enforcer.Rules["admin_required"]);
    }

    [Fact]
    public void Json_file_replaces_a_default_and_may_add_rules()
    {
        var enforcer = Load("policy.json", """{"compute:get": "rule:only_bob", "only_bob": "user_id:bob"}""");
        Assert.False(enforcer.Authorize("compute:get", Target, Member));
        Assert.True(enforcer.Authorize("compute:get", Target, Member with { UserId = "bob" }));
    }

    [Fact]
    public void Overriding_a_referenced_rule_changes_the_rules_that_use_it()
    {
        var enforcer = Load("policy.yaml", "admin_required: role:member\n");
        Assert.True(enforcer.Authorize("compute:delete", Target, Member));
    }

    [Fact]
    public void A_bad_rule_in_the_file_names_the_rule()
    {
        var e = Assert.Throws<PolicyParseException>(() => Load("policy.yaml", "\"compute:get\": \"role:admin or or role:x\"\n"));
        Assert.Equal("compute:get", e.RuleName);
        Assert.Equal(15, e.Position);
    }

    [Fact]
    public void A_file_that_is_not_a_map_is_refused() =>
        Assert.Throws<FormatException>(() => Load("policy.yaml", "compute:get:\n  - role:admin\n"));

    [Fact]
    public void A_missing_file_is_an_error_but_no_file_configured_is_not()
    {
        var missing = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [PolicyExtensions.PolicyFileKey] = Path.Combine(dir, "absent.yaml") })
            .Build();
        Assert.Throws<FileNotFoundException>(() => PolicyExtensions.LoadOverrides(missing));
        Assert.Null(PolicyExtensions.LoadOverrides(new ConfigurationBuilder().Build()));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
