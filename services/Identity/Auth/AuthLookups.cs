using Identity.Common;
using Identity.Domains;
using Identity.Projects;
using Identity.Users;

namespace Identity.Auth;

/// <summary>
/// The rows a token issue reads, through <see cref="KeyedCache{TKey,TValue}"/>: a rescope is then
/// a signature and no database round trip. Password checks never come here; they read the user
/// afresh for its hash and failure count.
/// </summary>
public sealed class AuthLookups(UserStore users, DomainStore domains, ProjectStore projects, IdentityChanges changes, CacheOptions options, TimeProvider time)
{
    private readonly KeyedCache<string, User?> userById = new(changes, options, time);
    private readonly KeyedCache<string, Domain?> domainById = new(changes, options, time);
    private readonly KeyedCache<string, Domain?> domainByName = new(changes, options, time);
    private readonly KeyedCache<string, Project?> projectById = new(changes, options, time);
    private readonly KeyedCache<(string Name, string DomainId), Project?> projectByName = new(changes, options, time);

    public Task<User?> UserAsync(string id) => userById.GetAsync(id, users.GetAsync);

    public Task<Domain?> DomainAsync(string id) => domainById.GetAsync(id, domains.GetAsync);

    public Task<Domain?> DomainByNameAsync(string name) => domainByName.GetAsync(name, domains.FindByNameAsync);

    public Task<Project?> ProjectAsync(string id) => projectById.GetAsync(id, projects.GetAsync);

    public Task<Project?> ProjectByNameAsync(string name, string domainId) =>
        projectByName.GetAsync((name, domainId), k => projects.FindByNameAsync(k.Name, k.DomainId));
}
