using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
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

    public async Task<ScenarioResult> RunAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        BenchPart[] parts =
        [
            new("identity", ServiceDll("Identity"), $"bench_identity_{suffix}", FreePort()),
            new("image", ServiceDll("Image"), $"bench_image_{suffix}", FreePort()),
            new("volume", ServiceDll("Volume"), $"bench_volume_{suffix}", FreePort()),
        ];
        // On the repository's filesystem, not /tmp, which may be memory: the copies are measured against its disk.
        var work = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), ".platform", "bench", $"tmp-volume-{suffix}"));
        await using var fleet = await BenchFleet.StartAsync("volume", work, parts,
            f => [("image", "glance", f.Url("image")), ("volumev3", "cinderv3", $"{f.Url("volume")}/v3")],
            (f, part) => part.Name switch
            {
                "image" => $"\n[glance_store]\nfilesystem_store_datadir = {Path.Combine(f.Work.FullName, "images")}\n",
                "volume" => $"\n[file]\nvolume_driver = file\nvolumes_dir = {Path.Combine(f.Work.FullName, "volumes")}\n",
                _ => "",
            });
        try
        {
            using var image = await fleet.AdminClientAsync("image");
            image.Timeout = TimeSpan.FromMinutes(10);
            using var volume = await fleet.AdminClientAsync("volume");
            volume.DefaultRequestHeaders.Add("OpenStack-API-Version", "volume 3.60");
            return await MeasureAsync(volume, image, work.FullName);
        }
        catch
        {
            fleet.PrintLogTails();
            throw;
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
}
