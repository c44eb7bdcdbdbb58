using System.Net;
using Platform.Auth.Policy;
using Platform.Context;
using Platform.Hosting;

namespace Platform.Auth.Tests;

public class PolicyEnforcerTests
{
    private static readonly RequestContext Member = new() { UserId = "u-1", ProjectId = "p-1", UserDomainId = "default", Roles = ["member", "reader"] };
    private static readonly RequestContext Admin = new() { UserId = "u-admin", ProjectId = "p-admin", Roles = ["admin"] };
    private static readonly RequestContext SystemReader = new() { UserId = "u-sys", SystemScope = "all", Roles = ["reader"] };
    private static readonly Dictionary<string, object?> NoTarget = [];

    private static PolicyEnforcer Enforcer(params (string Name, string Rule)[] rules) =>
        new(rules.Select(r => new PolicyRuleDefault(r.Name, r.Rule)));

    private static bool Check(string rule, RequestContext caller, Dictionary<string, object?>? target = null) =>
        Enforcer(("r", rule)).Authorize("r", target ?? NoTarget, caller);

    [Fact]
    public void Role_check_matches_any_held_role_ignoring_case()
    {
        Assert.True(Check("role:member", Member));
        Assert.True(Check("role:MEMBER", Member));
        Assert.False(Check("role:admin", Member));
        Assert.True(Check("role:admin", Admin));
    }

    [Fact]
    public void Role_name_may_come_from_the_target()
    {
        Assert.True(Check("role:%(required)s", Member, new() { ["required"] = "reader" }));
        Assert.False(Check("role:%(required)s", Member, new() { ["required"] = "admin" }));
        Assert.False(Check("role:%(required)s", Member));
    }

    [Fact]
    public void Rule_check_follows_named_rules()
    {
        var enforcer = Enforcer(
            ("admin_required", "role:admin"),
            ("owner", "project_id:%(project_id)s"),
            ("admin_or_owner", "rule:admin_required or rule:owner"));
        var own = new Dictionary<string, object?> { ["project_id"] = "p-1" };
        var other = new Dictionary<string, object?> { ["project_id"] = "p-9" };

        Assert.True(enforcer.Authorize("admin_or_owner", own, Member));
        Assert.False(enforcer.Authorize("admin_or_owner", other, Member));
        Assert.True(enforcer.Authorize("admin_or_owner", other, Admin));
    }

    [Fact]
    public void Generic_check_compares_a_credential_with_the_substituted_target()
    {
        Assert.True(Check("project_id:%(project_id)s", Member, new() { ["project_id"] = "p-1" }));
        Assert.False(Check("project_id:%(project_id)s", Member, new() { ["project_id"] = "p-2" }));
        // A key the target lacks fails the check rather than the call.
        Assert.False(Check("project_id:%(project_id)s", Member));
        Assert.True(Check("user_id:u-1", Member));
        Assert.True(Check("system_scope:all", SystemReader));
        Assert.False(Check("system_scope:all", Member));
    }

    [Fact]
    public void Target_keys_may_be_dotted_flat_or_nested()
    {
        Assert.True(Check("user_id:%(target.user.id)s", Member, new() { ["target.user.id"] = "u-1" }));
        var nested = new Dictionary<string, object?>
        {
            ["target"] = new Dictionary<string, object?> { ["user"] = new Dictionary<string, object?> { ["id"] = "u-1" } },
        };
        Assert.True(Check("user_id:%(target.user.id)s", Member, nested));
        Assert.False(Check("user_id:%(target.user.id)s", Admin, nested));
    }

    [Fact]
    public void Unset_values_never_match_each_other()
    {
        var noProject = new RequestContext { UserId = "u-1", DomainId = "d-1", Roles = ["admin"] };
        Assert.False(Check("project_id:%(project_id)s", noProject, new() { ["project_id"] = null }));
    }

    [Fact]
    public void Literal_checks_compare_as_python_would()
    {
        Assert.True(Check("is_admin:True", Admin));
        Assert.False(Check("is_admin:True", Member));
        Assert.True(Check("is_admin:False", Member));
        Assert.True(Check("'member':%(role.name)s", Member, new() { ["role.name"] = "member" }));
        Assert.False(Check("'member':%(role.name)s", Member, new() { ["role.name"] = "admin" }));
        Assert.True(Check("\"reader\":%(role.name)s", Member, new() { ["role.name"] = "reader" }));
        Assert.True(Check("True:%(user.enabled)s", Member, new() { ["user.enabled"] = true }));
        Assert.False(Check("True:%(user.enabled)s", Member, new() { ["user.enabled"] = false }));
        Assert.True(Check("42:%(size)s", Member, new() { ["size"] = 42 }));
    }

    [Fact]
    public void Generic_check_on_a_list_credential_matches_any_element()
    {
        Assert.True(Check("roles:reader", Member));
        Assert.False(Check("roles:admin", Member));
    }

    [Fact]
    public void And_or_not_combine_with_precedence_and_parentheses()
    {
        // Without parentheses `and` binds tighter: admin or (member and reader).
        Assert.True(Check("role:admin or role:member and role:reader", Member));
        Assert.True(Check("role:admin or role:member and role:nobody", Admin));
        Assert.False(Check("(role:admin or role:member) and role:nobody", Admin));
        Assert.False(Check("role:member and role:nobody", Member));
        Assert.True(Check("role:nobody or role:reader", Member));
        // not binds tighter than and: (not admin) and member.
        Assert.True(Check("not role:admin and role:member", Member));
        Assert.False(Check("not role:admin and role:member", Admin));
        Assert.False(Check("not (role:member or role:admin)", Member));
        Assert.True(Check("not (role:member and role:admin)", Member));
    }

    [Fact]
    public void Always_never_and_empty_rules()
    {
        var anonymous = new RequestContext();
        Assert.True(Check("@", anonymous));
        Assert.True(Check("", anonymous));
        Assert.False(Check("!", Admin));
        Assert.False(Check("! or role:nobody", Admin));
        Assert.True(Check("! or @", anonymous));
    }

    [Fact]
    public void Undefined_rules_deny()
    {
        var enforcer = Enforcer(("uses_missing", "rule:missing or role:nobody"));
        Assert.False(enforcer.Authorize("not_defined", NoTarget, Admin));
        Assert.False(enforcer.Authorize("uses_missing", NoTarget, Admin));
        Assert.False(enforcer.Authorize("not_defined", NoTarget, Admin));
    }

    [Fact]
    public void Enforce_throws_forbidden_with_novas_message()
    {
        var enforcer = Enforcer(("os_compute_api:servers:delete", "role:admin"));
        enforcer.Enforce("os_compute_api:servers:delete", NoTarget, Admin);
        var e = Assert.Throws<ApiException>(() => enforcer.Enforce("os_compute_api:servers:delete", NoTarget, Member));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Equal("Policy doesn't allow os_compute_api:servers:delete to be performed.", e.Message);
    }

    [Fact]
    public void Credentials_default_to_the_current_request_context()
    {
        var enforcer = Enforcer(("r", "role:admin"));
        var saved = RequestContextAccessor.Current;
        try
        {
            RequestContextAccessor.Current = Admin;
            Assert.True(enforcer.Authorize("r", NoTarget));
            RequestContextAccessor.Current = null;
            Assert.False(enforcer.Authorize("r", NoTarget));
        }
        finally
        {
            RequestContextAccessor.Current = saved;
        }
    }

    [Fact]
    public void Service_token_values_are_credentials()
    {
        var withService = Member with { ServiceUserId = "nova", ServiceRoles = ["service"] };
        Assert.True(Check("service_roles:service", withService));
        Assert.False(Check("service_roles:service", Member));
        Assert.True(Check("service_user_id:nova and role:member", withService));
    }

    [Fact]
    public void Rules_that_refer_to_each_other_in_a_loop_are_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Enforcer(("a", "rule:b"), ("b", "role:x or rule:a")));
        Assert.Contains("a -> b -> a", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_that_does_not_parse_is_refused_when_registered()
    {
        var e = Assert.Throws<PolicyParseException>(() => new PolicyDefaultsBuilder().Add("compute:start", "role:admin or"));
        Assert.Equal("compute:start", e.RuleName);
    }
}
