using System.Buffers.Text;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// Every idempotency key a server applied within its window, as 8-byte hashes: what makes the window hold at load
/// (30 minutes at 10 keyed messages/s is 18,000 keys, 144 KB) while the full records with replies stay few.
/// </summary>
/// <remarks>
/// Keys are grouped in slices by their expiry rounded up to a slice width of 1/32 of their window (at least 1 s), so a
/// key is remembered for at least its window and at most a 32nd longer, and a slice is dropped whole once it expires.
/// Each slice keeps its stored JSON until a key is added to it: writing the envelope copies the bytes, it does not
/// re-encode them, so an operation that adds no key pays almost nothing for a large set.
/// </remarks>
public sealed class SeenKeys
{
    /// <summary>The most keys kept (256 KiB of hashes): 30 minutes at 18 keyed messages/s. Past it the soonest to expire go first.</summary>
    public const int MaxKeys = 32_768;

    internal const string ExpiresMember = "exp";
    internal const string KeysMember = "keys";

    private readonly List<Slice> _slices = [];

    /// <summary>How many keys are kept.</summary>
    public int Count { get; private set; }

    /// <summary>The hash a key is kept as: XxHash64 of its UTF-8 bytes. Collisions are the only way a new key is taken for a seen one (about 1 in 10^15 at the cap).</summary>
    public static ulong Hash(string key) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key));

    /// <summary>The expiry a key applied at <paramref name="nowMs"/> with <paramref name="windowMs"/> is kept until: rounded up to its slice.</summary>
    public static long ExpiryOf(long nowMs, long windowMs)
    {
        var width = Math.Max(1_000, windowMs / 32);
        var exact = nowMs + windowMs;
        return (exact + width - 1) / width * width;
    }

    /// <summary>Whether <paramref name="key"/> was applied and its slice has not expired at <paramref name="nowMs"/>.</summary>
    public bool Contains(string key, long nowMs)
    {
        var hash = Hash(key);
        foreach (var slice in _slices)
        {
            if (slice.ExpiresMs > nowMs && CollectionsMarshal.AsSpan(slice.Hashes).Contains(hash))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds a key applied at <paramref name="nowMs"/>, after dropping expired slices; keeps at most <see cref="MaxKeys"/>.</summary>
    public void Add(string key, long nowMs, long windowMs)
    {
        DropExpired(nowMs);
        SliceFor(ExpiryOf(nowMs, windowMs)).Add(Hash(key));
        Count++;
        while (Count > MaxKeys)
        {
            var soonest = _slices[0];
            var excess = Math.Min(Count - MaxKeys, soonest.Hashes.Count);
            soonest.RemoveOldest(excess);
            Count -= excess;
            if (soonest.Hashes.Count == 0)
            {
                _slices.RemoveAt(0);
            }
        }
    }

    /// <summary>Adds the keys of full ledger entries (an envelope written before this set existed) with their own expiry.</summary>
    internal static SeenKeys From(IEnumerable<OnceEntry> entries)
    {
        var seen = new SeenKeys();
        foreach (var entry in entries)
        {
            seen.SliceFor(entry.ExpiresMs).Add(Hash(entry.Key));
            seen.Count++;
        }

        return seen;
    }

    internal static SeenKeys Read(JsonElement stored)
    {
        var seen = new SeenKeys();
        foreach (var element in stored.EnumerateArray())
        {
            var encoded = element.GetProperty(KeysMember).GetString() ?? throw new JsonException("A slice of seen keys has no keys.");
            var bytes = Base64Url.DecodeFromChars(encoded);
            if (bytes.Length % sizeof(ulong) != 0)
            {
                throw new JsonException("A slice of seen keys is not a whole number of 8-byte hashes.");
            }

            var slice = seen.SliceFor(element.GetProperty(ExpiresMember).GetInt64());
            for (var i = 0; i < bytes.Length; i += sizeof(ulong))
            {
                slice.Hashes.Add(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i)));
            }

            seen.Count += bytes.Length / sizeof(ulong);
        }

        return seen;
    }

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        foreach (var slice in _slices)
        {
            writer.WriteStartObject();
            writer.WriteNumber(ExpiresMember, slice.ExpiresMs);
            writer.WritePropertyName(KeysMember);
            writer.WriteRawValue(slice.Json(), skipInputValidation: true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private void DropExpired(long nowMs)
    {
        while (_slices.Count > 0 && _slices[0].ExpiresMs <= nowMs)
        {
            Count -= _slices[0].Hashes.Count;
            _slices.RemoveAt(0);
        }

        // Slices of another window may sit behind a later one; they are few (one per window in use).
        for (var i = _slices.Count - 1; i > 0; i--)
        {
            if (_slices[i].ExpiresMs <= nowMs)
            {
                Count -= _slices[i].Hashes.Count;
                _slices.RemoveAt(i);
            }
        }
    }

    // The slice of one expiry, kept in expiry order; keys of one window almost always land in the last one.
    private Slice SliceFor(long expiresMs)
    {
        var i = _slices.Count;
        while (i > 0 && _slices[i - 1].ExpiresMs > expiresMs)
        {
            i--;
        }

        if (i > 0 && _slices[i - 1].ExpiresMs == expiresMs)
        {
            return _slices[i - 1];
        }

        var slice = new Slice(expiresMs);
        _slices.Insert(i, slice);
        return slice;
    }

    private sealed class Slice(long expiresMs)
    {
        private byte[]? _json;

        public long ExpiresMs { get; } = expiresMs;

        public List<ulong> Hashes { get; } = [];

        public void Add(ulong hash)
        {
            Hashes.Add(hash);
            _json = null;
        }

        public void RemoveOldest(int count)
        {
            Hashes.RemoveRange(0, count);
            _json = null;
        }

        // The stored form, a base64url string (no character of it needs escaping), encoded once per change.
        public byte[] Json()
        {
            if (_json is null)
            {
                var bytes = new byte[Hashes.Count * sizeof(ulong)];
                for (var i = 0; i < Hashes.Count; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * sizeof(ulong)), Hashes[i]);
                }

                var json = new byte[Base64Url.GetEncodedLength(bytes.Length) + 2];
                json[0] = json[^1] = (byte)'"';
                Base64Url.EncodeToUtf8(bytes, json.AsSpan(1, json.Length - 2));
                _json = json;
            }

            return _json;
        }
    }
}
