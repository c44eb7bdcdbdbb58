using System.Data.Common;
using System.Text.Json.Nodes;
using ComputeApi.Common;
using ComputeApi.Quotas;
using Dapper;
using Platform.Data;

namespace ComputeApi.Keypairs;

/// <summary>A keypair row.</summary>
public sealed class KeypairRow
{
    public int Id { get; set; }
    public string UserId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "ssh";
    public string PublicKey { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>os-keypairs: a user's keypairs (an admin names another user with user_id from 2.10).</summary>
public static class KeypairsApi
{
    public static void MapKeypairs(this RouteGroupBuilder v21)
    {
        v21.MapGet("/os-keypairs", ListAsync);
        v21.MapGet("/os-keypairs/{name}", ShowAsync);
        v21.MapPost("/os-keypairs", CreateAsync);
        v21.MapDelete("/os-keypairs/{name}", DeleteAsync);
    }

    /// <summary>Whose keypairs: the caller's own, or from 2.10 the user an admin names.</summary>
    private static string UserOf(HttpContext http, string? asked)
    {
        var caller = NovaAuthz.Caller;
        return http.Microversion().AtLeast(10) && !string.IsNullOrEmpty(asked) ? asked : caller.UserId ?? "";
    }

    private static JsonObject View(HttpContext http, KeypairRow k, bool full)
    {
        var view = new JsonObject { ["name"] = k.Name, ["public_key"] = k.PublicKey, ["fingerprint"] = k.Fingerprint };
        if (http.Microversion().AtLeast(2)) view["type"] = k.Type;
        if (full)
        {
            view["user_id"] = k.UserId;
            view["created_at"] = NovaBody.Iso(k.CreatedAt).TrimEnd('Z');
            view["deleted"] = false;
            view["deleted_at"] = null;
            view["updated_at"] = null;
            view["id"] = k.Id;
        }
        return view;
    }

    public static Task<KeypairRow?> GetAsync(DbConnection c, string userId, string name, DbTransaction? tx = null) =>
        c.QuerySingleOrDefaultAsync<KeypairRow>("SELECT id, user_id, name, type, public_key, fingerprint, created_at FROM key_pairs WHERE user_id = @userId AND name = @name",
            new { userId, name }, tx);

    private static async Task<IResult> ListAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        var request = http.Request;
        var userId = UserOf(http, request.Query["user_id"].LastOrDefault());
        authz.Enforce("os_compute_api:os-keypairs:index", null, userId);
        var paging = http.Microversion().AtLeast(35);
        var limit = paging ? NovaBody.QueryInt(request, "limit") : null;
        var marker = paging ? request.Query["marker"].LastOrDefault() : null;
        await using var c = await db.OpenAsync();
        var rows = (await c.QueryAsync<KeypairRow>("SELECT id, user_id, name, type, public_key, fingerprint, created_at FROM key_pairs WHERE user_id = @userId ORDER BY name",
            new { userId })).ToList();
        if (marker is not null)
        {
            var at = rows.FindIndex(k => k.Name == marker);
            if (at < 0) throw NovaErrors.BadRequest($"marker [{marker}] not found");
            rows = rows[(at + 1)..];
        }
        var more = limit is { } l && rows.Count > l;
        if (limit is { } n) rows = [.. rows.Take(n)];
        var body = new JsonObject { ["keypairs"] = new JsonArray([.. rows.Select(k => (JsonNode)new JsonObject { ["keypair"] = View(http, k, false) })]) };
        if (more)
            body["keypairs_links"] = new JsonArray(new JsonObject
            {
                ["rel"] = "next",
                ["href"] = $"{request.Scheme}://{request.Host}{request.PathBase}/v2.1/os-keypairs?limit={limit}&marker={Uri.EscapeDataString(rows[^1].Name)}",
            });
        return Results.Json(body);
    }

    private static async Task<IResult> ShowAsync(string name, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        var userId = UserOf(http, http.Request.Query["user_id"].LastOrDefault());
        authz.Enforce("os_compute_api:os-keypairs:show", null, userId);
        await using var c = await db.OpenAsync();
        var keypair = await GetAsync(c, userId, name) ?? throw NovaErrors.NotFound($"Keypair {name} not found for user {userId}");
        return Results.Json(new JsonObject { ["keypair"] = View(http, keypair, true) });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IDbConnectionFactory db, NovaAuthz authz, QuotaEngine quotas, TimeProvider time)
    {
        var version = http.Microversion();
        var body = NovaBody.Section(await NovaBody.ReadAsync(http.Request), "keypair");
        var allowed = new List<string> { "name", "public_key" };
        if (version.AtLeast(2)) allowed.Add("type");
        if (version.AtLeast(10)) allowed.Add("user_id");
        NovaBody.Only(body, [.. allowed]);
        var name = NovaBody.String(body, "name", 1, 255, required: true)!;
        if (name.Trim().Length == 0 || !System.Text.RegularExpressions.Regex.IsMatch(name, @"^[a-zA-Z0-9 _\-\.@]+$"))
            throw NovaErrors.InvalidInput("name", name, $"'{name}' does not match '^[a-zA-Z0-9 _\\-\\.@]+$'");
        var type = NovaBody.String(body, "type") ?? "ssh";
        if (type is not ("ssh" or "x509")) throw NovaErrors.InvalidInput("type", type, $"'{type}' is not one of ['ssh', 'x509']");
        var userId = UserOf(http, NovaBody.String(body, "user_id"));
        authz.Enforce("os_compute_api:os-keypairs:create", null, userId);
        var publicKey = NovaBody.String(body, "public_key", 0, 65535);
        string? privateKey = null;
        if (publicKey is null)
        {
            if (type == "x509") throw NovaErrors.BadRequest("Keypair data is invalid: x509 keypairs must be imported");
            (privateKey, publicKey) = KeyGenerator.NewRsa();
        }
        var keypair = new KeypairRow
        {
            UserId = userId, Name = name, Type = type, PublicKey = publicKey,
            Fingerprint = type == "x509" ? KeyGenerator.X509Fingerprint(publicKey) : KeyGenerator.SshFingerprint(publicKey),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };

        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await quotas.CheckKeyPairsAsync(tx, NovaAuthz.Caller.ProjectId ?? "", userId, 1);
        try
        {
            keypair.Id = await c.ExecuteScalarAsync<int>("""
                INSERT INTO key_pairs (user_id, name, type, public_key, fingerprint, created_at) VALUES (@UserId, @Name, @Type, @PublicKey, @Fingerprint, @CreatedAt);
                SELECT LAST_INSERT_ID();
                """, keypair, tx);
            await tx.CommitAsync();
        }
        catch (DbException e) when (e.IsDuplicateKey())
        {
            throw NovaErrors.Conflict($"Key pair '{name}' already exists.");
        }
        var view = View(http, keypair, false);
        view["user_id"] = userId;
        if (privateKey is not null) view["private_key"] = privateKey;
        return Results.Json(new JsonObject { ["keypair"] = view }, statusCode: version.AtLeast(2) ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> DeleteAsync(string name, HttpContext http, IDbConnectionFactory db, NovaAuthz authz)
    {
        var userId = UserOf(http, http.Request.Query["user_id"].LastOrDefault());
        authz.Enforce("os_compute_api:os-keypairs:delete", null, userId);
        await using var c = await db.OpenAsync();
        if (await c.ExecuteAsync("DELETE FROM key_pairs WHERE user_id = @userId AND name = @name", new { userId, name }) == 0)
            throw NovaErrors.NotFound($"Keypair {name} not found for user {userId}");
        return http.Microversion().AtLeast(2) ? Results.NoContent() : Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
