using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// Which shard holds a key, like <c>:erlang.phash2(key, n)</c>: XxHash32 (seed 0) of the key's UTF-8 bytes, modulo
/// the shard count. The hash is the same in every process and version (never <c>string.GetHashCode()</c>), so any
/// front door, the timer and a client computing it on its own all reach the same shard. Golden tests pin it.
/// </summary>
public static class RateLimitShards
{
    /// <summary>The 32-bit XxHash (seed 0) of the key's UTF-8 bytes.</summary>
    public static uint Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var size = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = size <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            var length = Encoding.UTF8.GetBytes(key, buffer);
            return XxHash32.HashToUInt32(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The shard (0 to <paramref name="shards"/> - 1) that holds <paramref name="key"/>.</summary>
    public static int For(string key, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        return (int)(Hash(key) % (uint)shards);
    }
}
