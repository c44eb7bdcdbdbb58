using Scheduler.Filters;

namespace Scheduler.Tests;

public sealed class ExtraSpecsOpsTests
{
    [Theory]
    [InlineData("1", "1", true)]
    [InlineData("1", "2", false)]
    [InlineData("qemu", "qemu", true)]
    [InlineData("123", "= 123", true)]
    [InlineData("124", "= 123", true)]
    [InlineData("122", "= 123", false)]
    [InlineData("12", "== 12.0", true)]
    [InlineData("12", "== 13", false)]
    [InlineData("12", "!= 13", true)]
    [InlineData("12", "!= 12", false)]
    [InlineData("12", ">= 12", true)]
    [InlineData("11", ">= 12", false)]
    [InlineData("12", "<= 12", true)]
    [InlineData("13", "<= 12", false)]
    [InlineData("abc", ">= 12", false)]
    [InlineData("qemu", "s== qemu", true)]
    [InlineData("qemu", "s== kvm", false)]
    [InlineData("qemu", "s!= kvm", true)]
    [InlineData("b", "s>= a", true)]
    [InlineData("a", "s>= b", false)]
    [InlineData("b", "s> a", true)]
    [InlineData("a", "s> a", false)]
    [InlineData("a", "s<= a", true)]
    [InlineData("b", "s<= a", false)]
    [InlineData("a", "s< b", true)]
    [InlineData("b", "s< a", false)]
    [InlineData("12", "s< 9", true)]
    [InlineData("avx sse", "<in> sse", true)]
    [InlineData("avx", "<in> sse", false)]
    [InlineData("avx sse vmx", "<all-in> sse vmx", true)]
    [InlineData("avx sse", "<all-in> sse vmx", false)]
    [InlineData("b", "<or> a <or> b <or> c", true)]
    [InlineData("d", "<or> a <or> b <or> c", false)]
    [InlineData("a", "<or> a", true)]
    public void Matches_as_nova_does(string value, string requirement, bool expected) =>
        Assert.Equal(expected, ExtraSpecsOps.Match(new HostValue(value), requirement));

    [Fact]
    public void A_list_value_is_matched_by_membership()
    {
        var features = new HostValue(null, ["vmx", "sse4.2"]);
        Assert.True(ExtraSpecsOps.Match(features, "<in> vmx"));
        Assert.False(ExtraSpecsOps.Match(features, "<in> sse"));
        Assert.True(ExtraSpecsOps.Match(features, "<all-in> vmx sse4.2"));
    }

    [Fact]
    public void A_missing_value_never_matches()
    {
        Assert.False(ExtraSpecsOps.Match(null, "1"));
        Assert.False(ExtraSpecsOps.Match(null, ">= 1"));
        Assert.False(ExtraSpecsOps.Match(null, "<or> a <or> b"));
    }
}
