using System.Numerics;
using System.Text;

namespace SessionVoice.Core.Ethereum;

/// <summary>Selectors and topics from canonical signatures ("attest(uint256,uint8,bytes32)").</summary>
public static class Abi
{
    public static readonly BigInteger MaxUInt256 = (BigInteger.One << 256) - 1;

    public static byte[] Selector(string canonicalSignature) => Keccak256.HashToArray(Encoding.ASCII.GetBytes(canonicalSignature))[..4];

    public static Hash32 EventTopic(string canonicalSignature) => Keccak256.Hash(Encoding.ASCII.GetBytes(canonicalSignature));
}

/// <summary>ABI encoding of a flat argument list: static words in the head, bytes/string in the tail.</summary>
public sealed class AbiEncoder
{
    private readonly List<(byte[] Head, byte[]? Tail)> _items = [];

    public AbiEncoder UInt(BigInteger value, int bits = 256)
    {
        if (value.Sign < 0 || bits is < 8 or > 256 || bits % 8 != 0 || value.GetBitLength() > bits)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"does not fit uint{bits}");
        }
        var word = new byte[32];
        Signature.WriteWord(value, word);
        _items.Add((word, null));
        return this;
    }

    public AbiEncoder Address(Address address)
    {
        var word = new byte[32];
        address.WriteTo(word.AsSpan(12));
        _items.Add((word, null));
        return this;
    }

    public AbiEncoder Bool(bool value) => UInt(value ? 1 : 0, 8);

    public AbiEncoder Bytes32(Hash32 value)
    {
        _items.Add((value.ToArray(), null));
        return this;
    }

    public AbiEncoder Bytes(ReadOnlySpan<byte> value)
    {
        var padded = (value.Length + 31) / 32 * 32;
        var tail = new byte[32 + padded];
        Signature.WriteWord(value.Length, tail.AsSpan(0, 32));
        value.CopyTo(tail.AsSpan(32));
        _items.Add((new byte[32], tail));
        return this;
    }

    public AbiEncoder String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public byte[] ToArray()
    {
        var headSize = _items.Count * 32;
        var size = headSize + _items.Sum(i => i.Tail?.Length ?? 0);
        var result = new byte[size];
        var tailOffset = headSize;
        for (var i = 0; i < _items.Count; i++)
        {
            var (head, tail) = _items[i];
            if (tail is null)
            {
                head.CopyTo(result, i * 32);
                continue;
            }
            Signature.WriteWord(tailOffset, result.AsSpan(i * 32, 32));
            tail.CopyTo(result, tailOffset);
            tailOffset += tail.Length;
        }
        return result;
    }

    /// <summary>selector ‖ encoded arguments.</summary>
    public byte[] ToCall(ReadOnlySpan<byte> selector)
    {
        var args = ToArray();
        var call = new byte[4 + args.Length];
        selector.CopyTo(call);
        args.CopyTo(call, 4);
        return call;
    }
}

/// <summary>Strict reading of ABI words: out-of-range words and short data are errors, not zeros.</summary>
public readonly struct AbiDecoder(ReadOnlyMemory<byte> data)
{
    public int WordCount => data.Length / 32;

    public ReadOnlySpan<byte> Word(int index)
    {
        var start = checked(index * 32);
        if (index < 0 || start + 32 > data.Length)
        {
            throw new AbiDecodingException($"word {index} is beyond the {data.Length}-byte data");
        }
        return data.Span.Slice(start, 32);
    }

    public BigInteger UInt(int index, int bits = 256)
    {
        var value = new BigInteger(Word(index), isUnsigned: true, isBigEndian: true);
        if (value.GetBitLength() > bits)
        {
            throw new AbiDecodingException($"word {index} does not fit uint{bits}");
        }
        return value;
    }

    public ulong UInt64(int index, int bits = 64) => (ulong)UInt(index, Math.Min(bits, 64));

    public Address Address(int index)
    {
        var word = Word(index);
        if (word[..12].ContainsAnyExcept((byte)0))
        {
            throw new AbiDecodingException($"word {index} is not an address");
        }
        return Ethereum.Address.FromBytes(word[12..]);
    }

    public bool Bool(int index)
    {
        var value = UInt(index, 8);
        return value.IsZero ? false : value.IsOne ? true : throw new AbiDecodingException($"word {index} is not a bool");
    }

    public Hash32 Bytes32(int index) => Hash32.FromBytes(Word(index));

    /// <summary>A dynamic bytes value whose offset sits in head word <paramref name="index"/>.</summary>
    public byte[] Bytes(int index)
    {
        var offset = UInt(index);
        if (offset % 32 != 0 || offset + 32 > data.Length)
        {
            throw new AbiDecodingException($"offset in word {index} is out of range");
        }
        var lengthWord = (int)(offset / 32);
        var length = UInt(lengthWord);
        var start = (int)offset + 32;
        if (length > data.Length - start)
        {
            throw new AbiDecodingException($"length in word {lengthWord} is out of range");
        }
        return data.Span.Slice(start, (int)length).ToArray();
    }

    public string String(int index) => Encoding.UTF8.GetString(Bytes(index));
}

public sealed class AbiDecodingException(string message) : FormatException(message);
