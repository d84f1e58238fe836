using System.Buffers.Binary;

namespace SessionVoice.Core.Agora;

/// <summary>
/// zlib (RFC 1950) for the few hundred bytes of an AccessToken2's content, without a native deflate
/// state: one final DEFLATE block (RFC 1951) with the fixed codes, or stored when that is not larger —
/// zlib's own rule for a block whose dynamic trees cost more than they save, which is every block
/// this short. Matches are chosen as zlib's level 6 chooses them (lazy evaluation, the most recent of
/// the longest, max_lazy 16, good 8, nice 128, chain 128, nothing matched against position 0, a
/// length-3 match farther than 4096 dropped), so for the official token vectors the bytes are
/// zlib's. Any zlib inflater reads the result; Agora inflates whatever zlib stream it gets.
/// <para>zlib's <c>deflateInit</c> allocates and clears ~270 KB per stream; this works on the stack.</para>
/// </summary>
internal static class SmallZlib
{
    /// <summary>Longest input handled here; AccessToken2 content is far shorter (channel ≤ 64 bytes).</summary>
    public const int MaxInput = 4096;

    private const int MinMatch = 3;
    private const int MaxMatch = 258;
    private const int MaxLazy = 16;
    private const int GoodMatch = 8;
    private const int NiceMatch = 128;
    private const int MaxChain = 128;
    private const int TooFar = 4096;
    private const int HashBits = 12;
    private const int EndOfBlock = 256;

    private static readonly ushort[] LengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static readonly byte[] LengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static readonly ushort[] DistanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static readonly byte[] DistanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

    // Fixed literal/length codes (RFC 1951 3.2.6), bit-reversed for an LSB-first stream.
    private static readonly ushort[] FixedCode = new ushort[288];
    private static readonly byte[] FixedLength = new byte[288];
    private static readonly byte[] LengthCode = new byte[MaxMatch + 1];
    private static readonly byte[] DistanceCode = new byte[MaxInput + 1];

    static SmallZlib()
    {
        for (var symbol = 0; symbol < 288; symbol++)
        {
            var (code, bits) = symbol switch
            {
                < 144 => (0x30 + symbol, 8),
                < 256 => (0x190 + symbol - 144, 9),
                < 280 => (symbol - 256, 7),
                _ => (0xC0 + symbol - 280, 8),
            };
            FixedCode[symbol] = (ushort)Reverse(code, bits);
            FixedLength[symbol] = (byte)bits;
        }
        for (var code = 0; code < 28; code++)
        {
            for (var length = LengthBase[code]; length < LengthBase[code] + (1 << LengthExtra[code]); length++)
            {
                LengthCode[length] = (byte)code;
            }
        }
        LengthCode[MaxMatch] = 28; // 258 has its own code (285), not 284 with extra bits 31
        for (var code = 0; code < DistanceBase.Length && DistanceBase[code] <= MaxInput; code++)
        {
            for (var distance = DistanceBase[code]; distance < DistanceBase[code] + (1 << DistanceExtra[code]) && distance <= MaxInput; distance++)
            {
                DistanceCode[distance] = (byte)code;
            }
        }
    }

    /// <summary>A buffer of this size always holds the output for <paramref name="inputLength"/> bytes.</summary>
    public static int MaxOutputLength(int inputLength) => inputLength + 16;

    /// <summary>Compresses <paramref name="input"/> (at most <see cref="MaxInput"/> bytes) into <paramref name="output"/>; returns the length written.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length > MaxInput)
        {
            throw new ArgumentException($"at most {MaxInput} bytes", nameof(input));
        }
        if (output.Length < MaxOutputLength(input.Length))
        {
            throw new ArgumentException("output is too small", nameof(output));
        }
        // Symbols: a literal (distance 0) or a match (length, distance).
        Span<ushort> lengths = stackalloc ushort[input.Length + 1];
        Span<ushort> distances = stackalloc ushort[input.Length + 1];
        var symbols = Match(input, lengths, distances);

        long fixedBits = FixedLength[EndOfBlock];
        for (var i = 0; i < symbols; i++)
        {
            fixedBits += distances[i] == 0 ? FixedLength[lengths[i]] : MatchBits(lengths[i], distances[i]);
        }

        output[0] = 0x78; // deflate, 32 KB window
        output[1] = 0x9C; // default level, no dictionary: (0x78 << 8 | 0x9C) % 31 == 0
        var bits = new BitWriter(output, 2);
        if (input.Length + 4 <= (fixedBits + 3 + 7) >> 3)
        {
            bits.Write(1, 3); // final, stored
            var at = bits.Align();
            BinaryPrimitives.WriteUInt16LittleEndian(output[at..], (ushort)input.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(output[(at + 2)..], (ushort)~input.Length);
            input.CopyTo(output[(at + 4)..]);
            bits = new BitWriter(output, at + 4 + input.Length);
        }
        else
        {
            bits.Write(1 | (1 << 1), 3); // final, fixed codes
            for (var i = 0; i < symbols; i++)
            {
                if (distances[i] == 0)
                {
                    bits.Write(FixedCode[lengths[i]], FixedLength[lengths[i]]);
                }
                else
                {
                    WriteMatch(ref bits, lengths[i], distances[i]);
                }
            }
            bits.Write(FixedCode[EndOfBlock], FixedLength[EndOfBlock]);
        }
        var end = bits.Align();
        BinaryPrimitives.WriteUInt32BigEndian(output[end..], Adler32(input));
        return end + 4;
    }

    /// <summary>zlib's deflate_slow over a window that holds the whole input.</summary>
    private static int Match(ReadOnlySpan<byte> input, Span<ushort> lengths, Span<ushort> distances)
    {
        var n = input.Length;
        Span<ushort> head = stackalloc ushort[1 << HashBits]; // 0 = none, as in zlib (so position 0 is never a match)
        Span<ushort> previous = stackalloc ushort[Math.Max(n, 1)];
        var symbols = 0;
        var strStart = 0;
        var matchLength = MinMatch - 1;
        var matchStart = 0;
        var matchAvailable = false;
        while (strStart < n)
        {
            var hashHead = 0;
            if (n - strStart >= MinMatch)
            {
                hashHead = Insert(input, strStart, head, previous);
            }
            var prevLength = matchLength;
            var prevMatch = matchStart;
            matchLength = MinMatch - 1;
            if (hashHead != 0 && prevLength < MaxLazy)
            {
                (matchLength, matchStart) = LongestMatch(input, strStart, hashHead, prevLength, previous, matchStart);
                if (matchLength == MinMatch && strStart - matchStart > TooFar)
                {
                    matchLength = MinMatch - 1;
                }
            }
            if (prevLength >= MinMatch && matchLength <= prevLength)
            {
                var maxInsert = n - MinMatch;
                lengths[symbols] = (ushort)prevLength;
                distances[symbols++] = (ushort)(strStart - 1 - prevMatch);
                // The match began at strStart - 1; every position it covers goes into the chains.
                for (var left = prevLength - 2; left > 0; left--)
                {
                    if (++strStart <= maxInsert)
                    {
                        Insert(input, strStart, head, previous);
                    }
                }
                matchAvailable = false;
                matchLength = MinMatch - 1;
                strStart++;
            }
            else if (matchAvailable)
            {
                lengths[symbols] = input[strStart - 1];
                distances[symbols++] = 0;
                strStart++;
            }
            else
            {
                matchAvailable = true;
                strStart++;
            }
        }
        if (matchAvailable)
        {
            lengths[symbols] = input[strStart - 1];
            distances[symbols++] = 0;
        }
        return symbols;
    }

    private static int Insert(ReadOnlySpan<byte> input, int at, Span<ushort> head, Span<ushort> previous)
    {
        var hash = ((input[at] << 8) ^ (input[at + 1] << 4) ^ input[at + 2]) & ((1 << HashBits) - 1);
        int candidate = head[hash];
        previous[at] = (ushort)candidate;
        head[hash] = (ushort)at;
        return candidate;
    }

    /// <summary>
    /// The longest match at <paramref name="at"/> longer than <paramref name="best"/>, the most recent
    /// first among equals; returns (<paramref name="best"/>, <paramref name="bestStart"/>) when none is longer.
    /// </summary>
    private static (int Length, int Start) LongestMatch(ReadOnlySpan<byte> input, int at, int candidate, int best, ReadOnlySpan<ushort> previous, int bestStart)
    {
        var chain = best >= GoodMatch ? MaxChain >> 2 : MaxChain;
        var longest = Math.Min(MaxMatch, input.Length - at);
        var nice = Math.Min(NiceMatch, longest);
        var scan = input.Slice(at, longest);
        do
        {
            // candidate < at, so the candidate's bytes run at most to the end of the input (overlap is allowed).
            var length = scan.CommonPrefixLength(input.Slice(candidate, longest));
            if (length > best)
            {
                best = length;
                bestStart = candidate;
                if (length >= nice)
                {
                    break;
                }
            }
            candidate = previous[candidate];
        }
        while (candidate > 0 && --chain != 0);
        return (best, bestStart);
    }

    private static long MatchBits(int length, int distance)
    {
        var code = LengthCode[length];
        var distanceCode = DistanceCode[distance];
        return FixedLength[257 + code] + LengthExtra[code] + 5 + DistanceExtra[distanceCode];
    }

    private static void WriteMatch(ref BitWriter bits, int length, int distance)
    {
        var code = LengthCode[length];
        bits.Write(FixedCode[257 + code], FixedLength[257 + code]);
        bits.Write((uint)(length - LengthBase[code]), LengthExtra[code]);
        var distanceCode = DistanceCode[distance];
        bits.Write(Reverse(distanceCode, 5), 5);
        bits.Write((uint)(distance - DistanceBase[distanceCode]), DistanceExtra[distanceCode]);
    }

    private static uint Reverse(int code, int bits)
    {
        var reversed = 0u;
        for (var i = 0; i < bits; i++)
        {
            reversed = (reversed << 1) | (uint)((code >> i) & 1);
        }
        return reversed;
    }

    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        // 4096 bytes cannot overflow either sum before the final reduction.
        ulong a = 1, b = 0;
        foreach (var x in data)
        {
            a += x;
            b += a;
        }
        return (uint)(((b % 65521) << 16) | (a % 65521));
    }

    /// <summary>DEFLATE's bit order: least significant bit first.</summary>
    private ref struct BitWriter(Span<byte> output, int at)
    {
        private readonly Span<byte> _output = output;
        private int _at = at;
        private ulong _buffer;
        private int _count;

        public void Write(uint value, int bits)
        {
            _buffer |= (ulong)value << _count;
            _count += bits;
            while (_count >= 8)
            {
                _output[_at++] = (byte)_buffer;
                _buffer >>= 8;
                _count -= 8;
            }
        }

        /// <summary>Pads to a byte boundary with zero bits; returns the next byte's index.</summary>
        public int Align()
        {
            if (_count > 0)
            {
                _output[_at++] = (byte)_buffer;
            }
            _buffer = 0;
            _count = 0;
            return _at;
        }
    }
}
