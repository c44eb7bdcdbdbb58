using Platform.Auth.Policy;

namespace Platform.Auth.Tests;

public class PolicyParserTests
{
    [Theory]
    [InlineData("role:a or role:b and role:c", "(role:a or (role:b and role:c))")]
    [InlineData("role:a and role:b or role:c", "((role:a and role:b) or role:c)")]
    [InlineData("not role:a and role:b", "(not role:a and role:b)")]
    [InlineData("not role:a or role:b", "(not role:a or role:b)")]
    [InlineData("(role:a or role:b) and role:c", "((role:a or role:b) and role:c)")]
    [InlineData("not (role:a or role:b)", "not (role:a or role:b)")]
    [InlineData("not not role:a", "not not role:a")]
    [InlineData("((role:a))", "role:a")]
    [InlineData("role:a AND role:b OR NOT role:c", "((role:a and role:b) or not role:c)")]
    [InlineData("rule:admin_required or project_id:%(project_id)s", "(rule:admin_required or project_id:%(project_id)s)")]
    [InlineData("@", "@")]
    [InlineData("!", "!")]
    [InlineData("", "@")]
    [InlineData("   ", "@")]
    [InlineData("'member':%(role.name)s", "'member':%(role.name)s")]
    public void Parses_with_oslo_precedence(string rule, string expected) =>
        Assert.Equal(expected, PolicyParser.Parse("r", rule).ToString());

    [Fact]
    public void Builds_the_check_kinds()
    {
        var or = Assert.IsType<OrCheck>(PolicyParser.Parse("r", "role:admin or rule:owner or user_id:%(target.user.id)s"));
        Assert.Equal("admin", Assert.IsType<RoleCheck>(or.Parts[0]).Match);
        Assert.Equal("owner", Assert.IsType<RuleCheck>(or.Parts[1]).Name);
        var generic = Assert.IsType<GenericCheck>(or.Parts[2]);
        Assert.Equal("user_id", generic.Kind);
        Assert.Equal("%(target.user.id)s", generic.Match);
    }

    [Theory]
    [InlineData("role:a and", 11, "expected a check")]
    [InlineData("and role:a", 1, "expected a check")]
    [InlineData("(role:a or role:b", 18, "expected ')'")]
    [InlineData("role:a)", 7, "unexpected ')'")]
    [InlineData("role:a role:b", 8, "unexpected 'role:b'")]
    [InlineData("role:a or admin", 11, "'admin' is not a check")]
    [InlineData("rule:", 1, "needs a name")]
    [InlineData("()", 2, "expected a check")]
    public void Errors_name_the_rule_and_position(string rule, int position, string problem)
    {
        var e = Assert.Throws<PolicyParseException>(() => PolicyParser.Parse("compute:start", rule));
        Assert.Equal("compute:start", e.RuleName);
        Assert.Equal(position, e.Position);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.Contains("compute:start", e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
    }
}
