using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using MySqlConnector;
using static Platform.Bench.ServiceProcesses;

namespace Platform.Bench;

/// <summary>
/// Image data through the image service as a real process over HTTP, against the disk it lands
/// on: a 1 GiB upload (which ends with the store's fsync) and a cold download, each as a share of
/// raw writes and reads of the same size measured in the same run in the store's directory; and
/// the process's peak memory before and after a 2 GiB upload and download, since the data path
/// is meant to stream in constant memory. Identity runs beside it, set up as its own scenario
/// sets it up, to issue the admin token and publish its keys.
/// </summary>
public sealed class ImageScenario : IScenario
{
    private const int BlockSize = 4 * 1024 * 1024;
    private const long GiB = 1024L * 1024 * 1024;
    private const double Mib = 1024 * 1024;
    private const double Aim = 0.70;
    private const int PosixFadviseDontNeed = 4;

    private static readonly TimeSpan TransferTimeout = TimeSpan.FromMinutes(10);

    public string Name => "image";
    public string Description =>
        "the image service as a process over HTTP: 1 GiB upload and cold download against raw disk writes and reads; peak memory over a 2 GiB image";

    public async Task<ScenarioResult> RunAsync()
    {
        var identityDll = ServiceDll("Identity");
        var imageDll = ServiceDll("Image");
        var identityDatabase = $"bench_identity_{Guid.NewGuid():N}"[..30];
        var imageDatabase = $"bench_image_{Guid.NewGuid():N}"[..30];
        // On the repository's filesystem, not /tmp, which may be memory.
        var work = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), ".platform", "bench", $"tmp-image-{Guid.NewGuid():N}"));
        var identityLog = Path.Combine(work.FullName, "identity.log");
        var imageLog = Path.Combine(work.FullName, "image.log");
        var store = Path.Combine(work.FullName, "store");
        var rawFile = Path.Combine(store, "raw-disk-test.bin");
        Process? identity = null;
        Process? image = null;
        try
        {
            await CreateDatabaseAsync(identityDatabase);
            await CreateDatabaseAsync(imageDatabase);
            var identityPort = FreePort();
            var adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var identityWork = Directory.CreateDirectory(Path.Combine(work.FullName, "identity")).FullName;
            identity = await IdentityScenario.StartAsync(identityDll, identityWork, identityDatabase, identityPort, adminPassword, identityLog);
            using var identityHttp = Client(identityPort, TimeSpan.FromSeconds(30));
            await WaitReadyAsync("identity", identityHttp, identity, identityLog);

            var imagePort = FreePort();
            var config = WriteConfig(work.FullName, imageDatabase, imagePort, identityPort, store);
            await RunCommandAsync("image", imageDll, ["db", "sync", "--config-file", config]);
            image = StartServer("image", imageDll, config, imageLog);
            using var imageHttp = Client(imagePort, TransferTimeout);
            await WaitReadyAsync("image", imageHttp, image, imageLog);

            var token = await IdentityScenario.IssueAsync(identityHttp, IdentityScenario.AdminPasswordBody(adminPassword));
            imageHttp.DefaultRequestHeaders.Add("X-Auth-Token", token);
            return await MeasureAsync(imageHttp, image.Id, store, rawFile);
        }
        catch
        {
            PrintLogTail("identity", identityLog);
            PrintLogTail("image", imageLog);
            throw;
        }
        finally
        {
            if (image is not null) await StopAsync("image", image);
            if (identity is not null) await StopAsync("identity", identity);
            await DropDatabaseAsync(imageDatabase);
            await DropDatabaseAsync(identityDatabase);
            try { if (File.Exists(rawFile)) File.Delete(rawFile); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {rawFile}: {e.Message}"); }
            try { work.Delete(recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"  could not remove {work.FullName}: {e.Message}"); }
        }
    }

    private static HttpClient Client(int port, TimeSpan timeout) => new(new SocketsHttpHandler { UseProxy = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        Timeout = timeout,
    };

    private static async Task<ScenarioResult> MeasureAsync(HttpClient http, int imagePid, string store, string rawFile)
    {
        // One block of random bytes, written over and over: nothing along the way can compress it.
        var block = RandomNumberGenerator.GetBytes(BlockSize);
        var readBuffer = new byte[BlockSize];

        var rawWrite = WriteRaw(rawFile, block, GiB);
        DropFromPageCache(rawFile, "raw test file");
        var rawRead = ReadRaw(rawFile, readBuffer, GiB);
        File.Delete(rawFile);

        var before = ProcessMemory.Read(imagePid);
        Console.WriteLine($"  image process ready and idle: RSS {before.RssMib:F1} MiB, peak RSS {before.PeakMib:F1} MiB");

        // A 256 MiB round first, so the figures below are not the JIT's first pass over the data path.
        var warmup = await TransferAsync(http, store, block, readBuffer, 256L * 1024 * 1024, quiet: true);
        await DeleteImageAsync(http, warmup.Id);

        var first = await TransferAsync(http, store, block, readBuffer, GiB);
        var second = await TransferAsync(http, store, block, readBuffer, 2 * GiB);
        var after = ProcessMemory.Read(imagePid);
        await DeleteImageAsync(http, first.Id);
        await DeleteImageAsync(http, second.Id);

        var uploadRatio = first.UploadMibPerSecond / rawWrite;
        var downloadRatio = first.DownloadMibPerSecond / rawRead;
        // What this machine can move between two processes' sockets at all, without HTTP or a
        // disk: any HTTP transfer here is bounded by it, whatever the disk can do.
        var loopback = await LoopbackAsync(block, GiB);
        // What one core digests: an upload computes glance's MD5 checksum and SHA-512 multihash
        // over every byte, each a single sequential stream, so it cannot be faster than the slower.
        var md5 = DigestRate(System.Security.Cryptography.HashAlgorithmName.MD5, block, GiB / 2);
        var sha512 = DigestRate(System.Security.Cryptography.HashAlgorithmName.SHA512, block, GiB / 2);

        PrintRate("raw disk write (fsync)", rawWrite, null);
        PrintRate("image upload", first.UploadMibPerSecond, uploadRatio);
        PrintRate("raw disk read (cold)", rawRead, null);
        PrintRate("image download (cold)", first.DownloadMibPerSecond, downloadRatio);
        Console.WriteLine($"  loopback TCP, no HTTP, no disk {loopback,7:F1} MiB/s   (upload {first.UploadMibPerSecond / loopback * 100:F0}%, download {first.DownloadMibPerSecond / loopback * 100:F0}% of it)");
        Console.WriteLine($"  one core digesting: MD5 {md5,7:F1} MiB/s ({md5 / rawWrite * 100:F0}% of raw write), SHA-512 {sha512,7:F1} MiB/s ({sha512 / rawWrite * 100:F0}% of raw write)");
        Console.WriteLine($"    an upload computes both over every byte: it is bounded by {Math.Min(md5, sha512):F1} MiB/s here ({Math.Min(md5, sha512) / rawWrite * 100:F0}% of raw write); upload reached {first.UploadMibPerSecond / Math.Min(md5, sha512) * 100:F0}% of that bound");
        Console.WriteLine($"  2 GiB image: upload {second.UploadMibPerSecond:F1} MiB/s, download (cold) {second.DownloadMibPerSecond:F1} MiB/s");
        Console.WriteLine($"  image process peak RSS: {before.PeakMib:F1} MiB before, {after.PeakMib:F1} MiB after a 2 GiB upload and download "
            + $"({after.PeakMib - before.PeakMib:+0.0;-0.0} MiB); RSS now {after.RssMib:F1} MiB");

        return new ScenarioResult("image",
        [
            new("disk.write_mib_s", "MiB/s", rawWrite),
            new("image.upload_mib_s", "MiB/s", first.UploadMibPerSecond),
            new("image.upload_ratio", "1", uploadRatio),
            new("disk.read_mib_s", "MiB/s", rawRead),
            new("image.download_mib_s", "MiB/s", first.DownloadMibPerSecond),
            new("image.download_ratio", "1", downloadRatio),
            new("loopback.tcp_mib_s", "MiB/s", loopback),
            new("digest.md5_mib_s", "MiB/s", md5),
            new("digest.sha512_mib_s", "MiB/s", sha512),
            new("image.upload_2gib_mib_s", "MiB/s", second.UploadMibPerSecond),
            new("image.download_2gib_mib_s", "MiB/s", second.DownloadMibPerSecond),
            new("image.rss_before_mib", "MiB", before.RssMib),
            new("image.peak_rss_before_mib", "MiB", before.PeakMib),
            new("image.peak_rss_after_mib", "MiB", after.PeakMib),
            new("image.rss_after_mib", "MiB", after.RssMib),
        ]);
    }

    /// <summary>MiB/s one thread digests with <paramref name="algorithm"/> (the runtime's, OpenSSL's on Linux).</summary>
    private static double DigestRate(System.Security.Cryptography.HashAlgorithmName algorithm, byte[] block, long size)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(algorithm);
        hash.AppendData(block);
        hash.GetHashAndReset();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (long done = 0; done < size; done += block.Length) hash.AppendData(block);
        hash.GetHashAndReset();
        return size / (1024.0 * 1024.0) / clock.Elapsed.TotalSeconds;
    }

    private static void PrintRate(string what, double mibPerSecond, double? ratio)
    {
        var share = ratio is { } r ? $"   {r * 100,3:F0}% of raw   aim >= {Aim * 100:F0}%: {(r >= Aim ? "met" : "NOT met")}" : "";
        Console.WriteLine($"  {what,-26}{mibPerSecond,9:F1} MiB/s{share}");
    }

    // The write ends with fsync, as the store's does: the figure is the disk's, not the page cache's.
    private static double WriteRaw(string path, byte[] block, long size)
    {
        var clock = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            for (long written = 0; written < size; written += block.Length) file.Write(block, 0, (int)Math.Min(block.Length, size - written));
            file.Flush(flushToDisk: true);
        }
        return size / Mib / clock.Elapsed.TotalSeconds;
    }

    /// <summary>1 GiB from one socket to another over 127.0.0.1, in 4 MiB writes and reads.</summary>
    private static async Task<double> LoopbackAsync(byte[] block, long size)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var sender = new TcpClient();
        await sender.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var receiver = await listener.AcceptTcpClientAsync();
        var clock = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            var stream = sender.GetStream();
            for (long sent = 0; sent < size; sent += block.Length) await stream.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, size - sent)));
        });
        var buffer = new byte[block.Length];
        var input = receiver.GetStream();
        long received = 0;
        while (received < size)
        {
            var read = await input.ReadAsync(buffer);
            if (read == 0) throw new InvalidOperationException($"loopback: the sender stopped after {received} bytes");
            received += read;
        }
        await send;
        return size / Mib / clock.Elapsed.TotalSeconds;
    }

    private static double ReadRaw(string path, byte[] buffer, long size)
    {
        var clock = Stopwatch.StartNew();
        long total = 0;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan))
        {
            int read;
            while ((read = file.Read(buffer, 0, buffer.Length)) > 0) total += read;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return total == size ? total / Mib / seconds : throw new InvalidOperationException($"read {total} bytes back from {path}, wrote {size}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(int fd, long offset, long len, int advice);

    /// <summary>
    /// Makes the next read of <paramref name="path"/> come from the disk: its pages are written
    /// out (fsync), then dropped from the page cache. Says whether that worked, since a read
    /// served from memory would make the figure meaningless.
    /// </summary>
    internal static void DropFromPageCache(string path, string what, bool quiet = false)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        RandomAccess.FlushToDisk(handle);
        // posix_fadvise returns the error number itself rather than setting errno.
        var error = posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadviseDontNeed);
        if (error == 0 && quiet) return;
        Console.WriteLine(error == 0
            ? $"  {what}: dropped from the page cache (posix_fadvise DONTNEED succeeded)"
            : $"  {what}: posix_fadvise DONTNEED failed with error {error}; the read that follows may be served from memory");
    }

    private sealed record Transfer(string Id, double UploadMibPerSecond, double DownloadMibPerSecond);

    private static async Task<Transfer> TransferAsync(HttpClient http, string store, byte[] block, byte[] readBuffer, long size, bool quiet = false)
    {
        var id = await CreateImageAsync(http);
        var (upload, md5) = await UploadAsync(http, id, block, size);
        DropFromPageCache(Path.Combine(store, id), $"image {id} in the store", quiet);
        var download = await DownloadAsync(http, id, readBuffer, size, md5);
        return new Transfer(id, upload, download);
    }

    private static async Task<string> CreateImageAsync(HttpClient http)
    {
        using var content = new StringContent("""{"name":"bench","disk_format":"raw","container_format":"bare"}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v2/images", content);
        using var image = JsonDocument.Parse(await Expect(response, HttpStatusCode.Created));
        return image.RootElement.GetProperty("id").GetString() ?? throw new InvalidOperationException("POST /v2/images answered an image without an id");
    }

    // Timed from the request to the 204, which the server sends after its fsync and rename.
    private static async Task<(double MibPerSecond, string Md5)> UploadAsync(HttpClient http, string id, byte[] block, long size)
    {
        // The digest the server must arrive at, worked out before the clock starts so the
        // client's own hashing does not take CPU from the server on this small machine.
        var md5 = RepeatedBlockContent.Md5Of(block, size);
        using var body = new RepeatedBlockContent(block, size);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        body.Headers.ContentLength = size;
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/images/{id}/file") { Content = body };
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        await Expect(response, HttpStatusCode.NoContent);
        var seconds = clock.Elapsed.TotalSeconds;
        return (size / Mib / seconds, md5);
    }

    // The body is read into one reusable buffer and dropped, as a client streaming to disk would.
    private static async Task<double> DownloadAsync(HttpClient http, string id, byte[] buffer, long size, string md5)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync($"/v2/images/{id}/file", HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK) await Expect(response, HttpStatusCode.OK);
        long total = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync())
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0) total += read;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (total != size) throw new InvalidOperationException($"GET /v2/images/{id}/file gave {total} bytes; {size} were uploaded");
        // glance sends the hex digest, which the typed ContentMD5 (base64) would misread.
        var sent = response.Content.Headers.NonValidated.TryGetValues("Content-MD5", out var values) ? values.ToString() : null;
        if (sent != md5) throw new InvalidOperationException($"GET /v2/images/{id}/file: Content-MD5 {sent ?? "(none)"}, but the upload's MD5 was {md5}");
        return total / Mib / seconds;
    }

    private static async Task DeleteImageAsync(HttpClient http, string id)
    {
        using var response = await http.DeleteAsync($"/v2/images/{id}");
        await Expect(response, HttpStatusCode.NoContent);
    }

    private static string WriteConfig(string dir, string database, int port, int identityPort, string store)
    {
        var connection = new MySqlConnectionStringBuilder(MySql) { Database = database }.ConnectionString;
        var path = Path.Combine(dir, "image.conf");
        var text = new StringBuilder()
            .AppendLine("host = bench-image")
            .AppendLine().AppendLine("[api]").AppendLine($"listen = http://127.0.0.1:{port}")
            .AppendLine().AppendLine("[database]").AppendLine($"connection = {connection}")
            .AppendLine().AppendLine("[messaging]").AppendLine($"transport_url = {BrokerUrl}")
            // Enough to fetch identity's token keys from /v3/auth/jwks.
            .AppendLine().AppendLine("[keystone_authtoken]").AppendLine($"auth_url = http://127.0.0.1:{identityPort}")
            .AppendLine().AppendLine("[glance_store]").AppendLine($"filesystem_store_datadir = {store}");
        File.WriteAllText(path, text.ToString());
        // It holds the database account.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>
    /// A body of <c>size</c> bytes made by repeating one block, so a large upload never sits in
    /// memory. It only writes: <see cref="Md5Of"/> gives its digest.
    /// </summary>
    internal sealed class RepeatedBlockContent(byte[] block, long size) : HttpContent
    {
        public static string Md5Of(byte[] block, long size)
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            for (long done = 0; done < size; done += block.Length) md5.AppendData(block.AsSpan(0, (int)Math.Min(block.Length, size - done)));
            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (long sent = 0; sent < size;)
            {
                var chunk = block.AsMemory(0, (int)Math.Min(block.Length, size - sent));
                await stream.WriteAsync(chunk, cancellationToken);
                sent += chunk.Length;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }
    }

    /// <summary>A process's resident memory now and at its peak, from <c>/proc/{pid}/status</c>.</summary>
    private sealed record ProcessMemory(double RssMib, double PeakMib)
    {
        public static ProcessMemory Read(int pid)
        {
            var kib = File.ReadLines($"/proc/{pid}/status")
                .Select(line => line.Split(':', 2))
                .Where(parts => parts.Length == 2 && parts[0] is "VmRSS" or "VmHWM")
                .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            return kib.TryGetValue("VmRSS", out var rss) && kib.TryGetValue("VmHWM", out var peak)
                ? new ProcessMemory(rss / 1024.0, peak / 1024.0)
                : throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS or VmHWM");
        }
    }
}
