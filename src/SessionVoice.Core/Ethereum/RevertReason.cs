using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>What a revert's data says: Error(string), Panic(uint256), a custom error, or nothing.</summary>
public abstract record RevertReason
{
    private static readonly byte[] ErrorSelector = [0x08, 0xc3, 0x79, 0xa0];
    private static readonly byte[] PanicSelector = [0x4e, 0x48, 0x7b, 0x71];

    public sealed record ErrorString(string Message) : RevertReason;

    public sealed record Panic(BigInteger Code) : RevertReason
    {
        public string Meaning => (int)(Code > 0xff ? -1 : Code) switch
        {
            0x01 => "assertion failed",
            0x11 => "arithmetic overflow or underflow",
            0x12 => "division or modulo by zero",
            0x21 => "invalid enum value",
            0x22 => "invalid storage byte array",
            0x31 => "pop on empty array",
            0x32 => "array index out of bounds",
            0x41 => "out of memory",
            0x51 => "zero-initialised function pointer",
            _ => "unknown panic",
        };
    }

    public sealed record CustomError(byte[] Selector, byte[] Arguments) : RevertReason;

    /// <summary>No data, or data too short to name an error (e.g. a bare <c>revert()</c>).</summary>
    public sealed record Empty : RevertReason;

    public static RevertReason Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4)
        {
            return new Empty();
        }
        var selector = data[..4];
        var args = data[4..].ToArray();
        try
        {
            if (selector.SequenceEqual(ErrorSelector))
            {
                return new ErrorString(new AbiDecoder(args).String(0));
            }
            if (selector.SequenceEqual(PanicSelector))
            {
                return new Panic(new AbiDecoder(args).UInt(0));
            }
        }
        catch (AbiDecodingException)
        {
            // Malformed standard error: fall through and keep the raw bytes.
        }
        return new CustomError(selector.ToArray(), args);
    }

    public override string ToString() => this switch
    {
        ErrorString e => e.Message,
        Panic p => $"panic 0x{(int)p.Code:x2}: {p.Meaning}",
        CustomError c => $"custom error {Hex.Encode(c.Selector)}",
        _ => "reverted without a reason",
    };
}
