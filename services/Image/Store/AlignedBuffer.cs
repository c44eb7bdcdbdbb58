using System.Buffers;
using System.Runtime.InteropServices;

namespace Image.Store;

/// <summary>
/// Native memory aligned to <see cref="Alignment"/>, as direct I/O needs: the disk reads the
/// bytes from here with no copy through the page cache.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    public const int Alignment = 4096;

    private readonly int length;
    private void* pointer;

    public AlignedBuffer(int length)
    {
        this.length = length;
        pointer = NativeMemory.AlignedAlloc((nuint)length, Alignment);
    }

    public static bool IsAligned(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) return (nuint)p % Alignment == 0 && data.Length % Alignment == 0;
    }

    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new((byte*)pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (pointer is null) return;
        NativeMemory.AlignedFree(pointer);
        pointer = null;
    }
}
