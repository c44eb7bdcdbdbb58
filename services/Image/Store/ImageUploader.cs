using System.Security.Cryptography;

namespace Image.Store;

/// <summary>What an upload produced: the byte count and glance's two digests.</summary>
public sealed record UploadedData(long Size, string Md5, string Sha512);

/// <summary>The client stopped sending before the data was whole.</summary>
public sealed class UploadInterruptedException(Exception inner) : Exception("the upload was interrupted: " + inner.Message, inner);

/// <summary>The data ran past what the project's quota leaves.</summary>
public sealed class UploadTooLargeException(long limit) : Exception($"the data exceeds the {limit} bytes the quota leaves");

/// <summary>
/// Copies a request body into the store in constant memory, computing the MD5 checksum and the
/// SHA-512 multihash on the way. Two chunk buffers take turns: while one is hashed (MD5 and
/// SHA-512 on separate threads) and written, the next is read from the client.
/// </summary>
public static class ImageUploader
{
    public const int ChunkSize = 4 * 1024 * 1024;

    public static async Task<UploadedData> CopyAsync(Stream body, IImageDataWriter writer, long? limit, Func<Task> heartbeat, TimeSpan heartbeatEvery,
        CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        // Aligned, so the store can hand them to the disk directly.
        using var first = new AlignedBuffer(ChunkSize);
        using var second = new AlignedBuffer(ChunkSize);
        Memory<byte>[] buffers = [first.Memory, second.Memory];
        var pending = Task.CompletedTask;
        long total = 0;
        var lastBeat = Environment.TickCount64;
        try
        {
            for (var turn = 0; ; turn ^= 1)
            {
                var buffer = buffers[turn];
                var filled = await FillAsync(body, buffer, cancellationToken);
                total += filled;
                if (limit is { } max && total > max) throw new UploadTooLargeException(max);
                await pending;
                if (filled == 0) break;
                var chunk = buffer[..filled];
                pending = Task.WhenAll(
                    Task.Run(() => md5.AppendData(chunk.Span), cancellationToken),
                    Task.Run(() => sha512.AppendData(chunk.Span), cancellationToken),
                    writer.WriteAsync(chunk, cancellationToken).AsTask());
                if (Environment.TickCount64 - lastBeat > heartbeatEvery.TotalMilliseconds)
                {
                    lastBeat = Environment.TickCount64;
                    await heartbeat();
                }
                if (filled < ChunkSize) break;
            }
            await pending;
        }
        finally
        {
            // Never free a buffer while a hash or write may still read it.
            try { await pending; } catch { /* the first failure is already on its way out */ }
        }
        return new UploadedData(total, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha512.GetHashAndReset()));
    }

    // Reads until the chunk is full or the body ends; a body that breaks off is the client's doing.
    private static async Task<int> FillAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        try
        {
            while (filled < ChunkSize)
            {
                var read = await body.ReadAsync(buffer[filled..], cancellationToken);
                if (read == 0) break;
                filled += read;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            throw new UploadInterruptedException(e);
        }
        return filled;
    }
}
