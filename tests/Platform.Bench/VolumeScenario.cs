using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MySqlConnector;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>
/// The volume service as a process (all three roles, the file backend) beside identity and
/// image: empty volumes created and deleted by several clients at once, counted per second from
/// the first request to the last volume available (or gone); and a 1 GiB image made into a
/// volume, timed from the request to <c>available</c>, beside a plain copy of the same bytes
/// from the image store's file to a new file on the same disk, made in the same run.
/// </summary>
public sealed class VolumeScenario : IScenario
{
    private const int Volumes = 50;
    private const int Clients = 8;
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    public string Name => "volume";
    public string Description => $"volume create/delete per second ({Volumes} volumes, {Clients} clients) and a 1 GiB volume from an image against a raw copy";

    private sealed record Part(string Name, string Dll, string Database, int Port)
    {
        public string Log(string dir) => Path.Combine(dir, Name + ".log");
    }

    public async Task<ScenarioResult> RunAsync()
    {
        // On the repository's filesystem, not /tmp, which may be memory.
        var work = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), ".platform", "bench", $"tmp-volume-{Guid.NewGuid():N}"));
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var parts = new[]
        {
            new Part("identity", ServiceDll("Identity"), $"bench_identity_{suffix}", FreePort()),
            new Part("image", ServiceDll("Image"), $"bench_image_{suffix}", FreePort()),
            new Part("volume", ServiceDll("Volume"), $"bench_volume_{suffix}", FreePort()),
        };
        var vhost = $"bench-volume-{suffix}";
        var processes = new List<(Part Part, Process Process)>();
        try
        {
            await CreateVirtualHostAsync(vhost);
            var transport = BrokerUrl.TrimEnd('/') + "/" + vhost;
            foreach (var p in parts) await CreateDatabaseAsync(p.Database);
            var passwords = parts.ToDictionary(p => p.Name, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)));
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            foreach (var part in parts)
            {
                var config = WriteConfig(work.FullName, part, parts, transport, passwords, adminPassword);
                await RunCommandAsync(part.Name, part.Dll, ["db", "sync", "--config-file", config]);
                if (part.Name == "identity")
                {
                    await RunCommandAsync(part.Name, part.Dll, ["keys", "setup", "--config-file", config]);
                    await RunCommandAsync(part.Name, part.Dll, ["bootstrap", "--config-file", config]);
                }
                var process = StartServer(part.Name, part.Dll, config, part.Log(work.FullName));
                processes.Add((part, process));
                using var probe = LoopbackClient(part.Port);
                await WaitReadyAsync(part.Name, probe, process, part.Log(work.FullName));
            }

            using var identity = LoopbackClient(parts[0].Port);
            var token = await IdentityScenario.IssueAsync(identity, IdentityScenario.AdminPasswordBody(adminPassword));
            using var image = LoopbackClient(parts[1].Port);
            image.Timeout = TimeSpan.FromMinutes(10);
            image.DefaultRequestHeaders.Add("X-Auth-Token", token);
            using var volume = LoopbackClient(parts[2].Port);
            volume.DefaultRequestHeaders.Add("X-Auth-Token", token);
            volume.DefaultRequestHeaders.Add("OpenStack-API-Version", "volume 3.60");
            return await MeasureAsync(volume, image, work.FullName);
        }
        catch
        {
            foreach (var part in parts) PrintLogTail(part.Name, part.Log(work.FullName));
            throw;
        }
        finally
        {
            foreach (var (part, process) in Enumerable.Reverse(processes)) await StopAsync(part.Name, process);
            foreach (var p in parts) await DropDatabaseAsync(p.Database);
            await DeleteVirtualHostAsync(vhost);
            try { work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
        }
    }

    private static async Task<ScenarioResult> MeasureAsync(HttpClient volume, HttpClient image, string dir)
    {
        using (var quota = await volume.PutAsync($"/v3/os-quota-sets/{await ProjectAsync(volume)}",
            JsonBody("""{"quota_set": {"volumes": -1, "gigabytes": -1, "snapshots": -1}}""")))
            await Expect(quota, HttpStatusCode.OK);
        await WaitForBackendAsync(volume);

        // A small round first, so the figures are not the JIT's first pass.
        await CreateAndDeleteAsync(volume, 8, Clients, quiet: true);
        var (createSeconds, deleteSeconds) = await CreateAndDeleteAsync(volume, Volumes, Clients, quiet: false);
        var createRate = Volumes / createSeconds;
        var deleteRate = Volumes / deleteSeconds;
        Console.WriteLine($"  {Volumes} empty 1 GiB volumes, {Clients} clients: created (all available) {createRate,6:F1}/s in {createSeconds:F2} s, deleted (all gone) {deleteRate,6:F1}/s in {deleteSeconds:F2} s");

        // 1 GiB of random bytes (one block repeated: nothing can compress it) as an image.
        var block = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var imageId = await UploadImageAsync(image, block, GiB);
        var storeFile = Path.Combine(dir, "images", imageId);
        ImageScenario.DropFromPageCache(storeFile, "the image in the store", quiet: true);
        var fromImage = await VolumeFromImageAsync(volume, imageId);

        // The same bytes copied from the store's file to a new file, flushed, on the same disk.
        ImageScenario.DropFromPageCache(storeFile, "the image in the store", quiet: true);
        var copy = Path.Combine(dir, "raw-copy.bin");
        var clock = Stopwatch.StartNew();
        await using (var input = new FileStream(storeFile, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan))
        await using (var output = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        {
            await input.CopyToAsync(output, 4 * 1024 * 1024);
            output.Flush(flushToDisk: true);
        }
        var rawSeconds = clock.Elapsed.TotalSeconds;
        File.Delete(copy);
        Console.WriteLine($"  1 GiB volume from a 1 GiB image: {fromImage,6:F2} s to available; raw copy of the same bytes {rawSeconds,6:F2} s "
            + $"({fromImage / rawSeconds:F2}x the raw copy)");

        return new ScenarioResult("volume",
        [
            new("volume.create_per_second", "per_second", createRate),
            new("volume.delete_per_second", "per_second", deleteRate),
            new("volume.from_image_1gib_seconds", "s", fromImage),
            new("disk.copy_1gib_seconds", "s", rawSeconds),
            new("volume.from_image_ratio", "1", fromImage / rawSeconds),
        ]);
    }

    private static async Task<string> ProjectAsync(HttpClient volume)
    {
        // The token's project, as the volume API shows it on a volume it makes (and then removes).
        using var created = await volume.PostAsync("/v3/volumes", JsonBody("""{"volume": {"size": 1, "name": "bench-probe"}}"""));
        using var doc = JsonDocument.Parse(await Expect(created, HttpStatusCode.Accepted));
        var v = doc.RootElement.GetProperty("volume");
        var id = v.GetProperty("id").GetString()!;
        var project = v.GetProperty("os-vol-tenant-attr:tenant_id").GetString()!;
        await WaitStatusAsync(volume, id, "available");
        using (var delete = await volume.DeleteAsync($"/v3/volumes/{id}")) await Expect(delete, HttpStatusCode.Accepted);
        await WaitGoneAsync(volume, id);
        return project;
    }

    private static async Task WaitForBackendAsync(HttpClient volume)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < until)
        {
            using var response = await volume.GetAsync("/v3/os-services?binary=cinder-volume");
            using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
            if (doc.RootElement.GetProperty("services").EnumerateArray().Any(s => s.GetProperty("state").GetString() == "up")) return;
            await Task.Delay(250);
        }
        throw new TimeoutException("the file backend did not report within 60 s");
    }

    /// <summary>Creates <paramref name="count"/> empty volumes with <paramref name="clients"/> clients, then deletes them; the seconds each took.</summary>
    private static async Task<(double Create, double Delete)> CreateAndDeleteAsync(HttpClient volume, int count, int clients, bool quiet)
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using var response = await volume.PostAsync("/v3/volumes", JsonBody("""{"volume": {"size": 1}}"""));
                using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.Accepted));
                var id = doc.RootElement.GetProperty("volume").GetProperty("id").GetString()!;
                await WaitStatusAsync(volume, id, "available");
                ids.Add(id);
            }
        }));
        var create = clock.Elapsed.TotalSeconds;
        var queue = new System.Collections.Concurrent.ConcurrentQueue<string>(ids);
        clock.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (queue.TryDequeue(out var id))
            {
                using (var response = await volume.DeleteAsync($"/v3/volumes/{id}")) await Expect(response, HttpStatusCode.Accepted);
                await WaitGoneAsync(volume, id);
            }
        }));
        return (create, clock.Elapsed.TotalSeconds);
    }

    private static async Task<string> UploadImageAsync(HttpClient image, byte[] block, long size)
    {
        using var created = await image.PostAsync("/v2/images", JsonBody("""{"name": "bench-volume-image", "disk_format": "raw", "container_format": "bare"}"""));
        using var doc = JsonDocument.Parse(await Expect(created, HttpStatusCode.Created));
        var id = doc.RootElement.GetProperty("id").GetString()!;
        using var body = new ImageScenario.RepeatedBlockContent(block, size);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var upload = await image.PutAsync($"/v2/images/{id}/file", body);
        await Expect(upload, HttpStatusCode.NoContent);
        return id;
    }

    private static async Task<double> VolumeFromImageAsync(HttpClient volume, string imageId)
    {
        var clock = Stopwatch.StartNew();
        using var created = await volume.PostAsync("/v3/volumes", JsonBody("{\"volume\": {\"size\": 1, \"imageRef\": \"" + imageId + "\"}}"));
        using var doc = JsonDocument.Parse(await Expect(created, HttpStatusCode.Accepted));
        var id = doc.RootElement.GetProperty("volume").GetProperty("id").GetString()!;
        await WaitStatusAsync(volume, id, "available", TimeSpan.FromMilliseconds(20));
        var seconds = clock.Elapsed.TotalSeconds;
        using (var delete = await volume.DeleteAsync($"/v3/volumes/{id}")) await Expect(delete, HttpStatusCode.Accepted);
        await WaitGoneAsync(volume, id);
        return seconds;
    }

    private static async Task WaitStatusAsync(HttpClient volume, string id, string status, TimeSpan? poll = null)
    {
        var until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            using var response = await volume.GetAsync($"/v3/volumes/{id}");
            using var doc = JsonDocument.Parse(await Expect(response, HttpStatusCode.OK));
            var now = doc.RootElement.GetProperty("volume").GetProperty("status").GetString();
            if (now == status) return;
            if (now == "error") throw new InvalidOperationException($"volume {id} went to error");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(10));
        }
        throw new TimeoutException($"volume {id} did not become {status}");
    }

    private static async Task WaitGoneAsync(HttpClient volume, string id)
    {
        var until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            using var response = await volume.GetAsync($"/v3/volumes/{id}");
            if (response.StatusCode == HttpStatusCode.NotFound) return;
            await Task.Delay(10);
        }
        throw new TimeoutException($"volume {id} was not deleted");
    }

    private static string WriteConfig(string dir, Part part, Part[] parts, string transport, Dictionary<string, string> passwords, string adminPassword)
    {
        int Port(string name) => parts.Single(p => p.Name == name).Port;
        var identityUrl = $"http://127.0.0.1:{Port("identity")}";
        var text = new StringBuilder()
            .AppendLine($"host = bench-{part.Name}")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{part.Port}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {transport}")
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = {identityUrl}")
            .AppendLine($"username = {part.Name}").AppendLine($"password = {passwords[part.Name]}").AppendLine("region_name = RegionOne")
            .AppendLine().AppendLine("[database]").AppendLine($"connection = {new MySqlConnectionStringBuilder(MySql) { Database = part.Database }.ConnectionString}");
        switch (part.Name)
        {
            case "identity":
                text.AppendLine().AppendLine("[token]").AppendLine($"key_repository = {Path.Combine(dir, "identity-keys")}")
                    .AppendLine().AppendLine("[bootstrap]").AppendLine($"admin_password = {adminPassword}").AppendLine("region = RegionOne")
                    .AppendLine().AppendLine("[bootstrap:service_users]");
                foreach (var p in parts) text.AppendLine($"{p.Name} = {passwords[p.Name]}");
                foreach (var (type, name, url) in new[]
                {
                    ("identity", "keystone", $"{identityUrl}/v3"),
                    ("image", "glance", $"http://127.0.0.1:{Port("image")}"),
                    ("volumev3", "cinderv3", $"http://127.0.0.1:{Port("volume")}/v3"),
                })
                    text.AppendLine().AppendLine($"[bootstrap:catalog:{type}]").AppendLine($"name = {name}").AppendLine($"url = {url}");
                break;
            case "image":
                text.AppendLine().AppendLine("[glance_store]").AppendLine($"filesystem_store_datadir = {Path.Combine(dir, "images")}");
                break;
            case "volume":
                text.AppendLine().AppendLine("[file]").AppendLine("volume_driver = file").AppendLine($"volumes_dir = {Path.Combine(dir, "volumes")}");
                break;
        }
        var path = Path.Combine(dir, part.Name + ".conf");
        File.WriteAllText(path, text.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
