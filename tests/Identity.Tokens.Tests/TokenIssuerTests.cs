using Identity.Keys;
using Microsoft.IdentityModel.JsonWebTokens;
using Platform.Auth;

namespace Identity.Tokens.Tests;

public sealed class TokenIssuerTests : IDisposable
{
    private readonly KeyDirectory dir = new();
    private readonly KeyRepository repository;
    private readonly TokenIssuer issuer;

    public TokenIssuerTests()
    {
        repository = dir.Open();
        repository.Setup();
        issuer = new TokenIssuer(repository);
    }

    // No validation cache: each call must find the key again.
    private TokenValidator Validator() => new(new RepositorySigningKeyProvider(repository),
        new InMemoryTokenRevocationList(dir.Clock), new AuthTokenSettings { TokenCacheSize = 0 }, dir.Clock);

    internal static TokenPayload Payload(DateTimeOffset now) => new()
    {
        UserId = "u-1",
        ProjectId = "p-1",
        Roles = ["member"],
        Methods = ["password"],
        AuditIds = [Guid.NewGuid().ToString("N")],
        IssuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
        ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(now.AddHours(1).ToUnixTimeSeconds()),
    };

    [Fact]
    public async Task Tokens_are_signed_by_the_primary_key()
    {
        var token = issuer.Issue(Payload(dir.Clock.GetUtcNow()));
        Assert.Equal(repository.Current.Primary!.KeyId, new JsonWebToken(token).Kid);
        var outcome = await Validator().ValidateAsync(token);
        Assert.True(outcome.IsValid, outcome.Reason);
        Assert.Equal("u-1", outcome.Token!.UserId);
    }

    [Fact]
    public async Task A_token_signed_before_rotations_still_validates_after_them()
    {
        var token = issuer.Issue(Payload(dir.Clock.GetUtcNow()));
        var validator = Validator();

        repository.Rotate();
        var afterFirst = await validator.ValidateAsync(token);
        repository.Rotate();
        var afterSecond = await validator.ValidateAsync(token);

        Assert.True(afterFirst.IsValid, afterFirst.Reason);
        Assert.True(afterSecond.IsValid, afterSecond.Reason);
    }

    [Fact]
    public void After_a_rotation_the_new_primary_signs()
    {
        var before = new JsonWebToken(issuer.Issue(Payload(dir.Clock.GetUtcNow()))).Kid;
        var staged = repository.Current.Staged!.KeyId;
        repository.Rotate();
        var after = new JsonWebToken(issuer.Issue(Payload(dir.Clock.GetUtcNow()))).Kid;
        Assert.NotEqual(before, after);
        Assert.Equal(staged, after);
    }

    [Fact]
    public async Task A_token_signed_with_the_staged_key_validates()
    {
        // Another instance that already rotated signs with what this one still calls staged.
        var staged = repository.Current.Staged!;
        var token = new TokenSigner(staged.PrivateKey, staged.KeyId).Sign(Payload(dir.Clock.GetUtcNow()));
        Assert.True((await Validator().ValidateAsync(token)).IsValid);
    }

    [Fact]
    public async Task A_token_of_a_pruned_key_no_longer_validates()
    {
        var token = issuer.Issue(Payload(dir.Clock.GetUtcNow()));
        repository.Rotate();
        dir.Clock.Advance(TimeSpan.FromMinutes(70));
        repository.Rotate();
        Assert.Equal(TokenFailure.UnknownKey, (await Validator().ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task Without_keys_issuing_fails_and_validation_reports_keys_unavailable()
    {
        using var empty = new KeyDirectory();
        var bare = empty.Open();
        Assert.Throws<InvalidOperationException>(() => new TokenIssuer(bare).Issue(Payload(empty.Clock.GetUtcNow())));
        var validator = new TokenValidator(new RepositorySigningKeyProvider(bare), new InMemoryTokenRevocationList(empty.Clock),
            new AuthTokenSettings(), empty.Clock);
        var token = issuer.Issue(Payload(empty.Clock.GetUtcNow()));
        Assert.Equal(TokenFailure.KeysUnavailable, (await validator.ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task Many_threads_can_issue_at_once()
    {
        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50).Select(_ => issuer.Issue(Payload(dir.Clock.GetUtcNow()))).ToList())));
        var validator = Validator();
        foreach (var token in tokens.SelectMany(t => t))
            Assert.True((await validator.ValidateAsync(token)).IsValid);
    }

    public void Dispose() => dir.Dispose();
}
