using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SessionVoice.Core.Agora;

/// <summary>AccessToken2's packing: little-endian integers, u16 byte-length prefixes.</summary>
internal sealed class TokenWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public TokenWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public TokenWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public TokenWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException("a packed field is at most 65535 bytes", nameof(bytes));
        }
        U16((ushort)bytes.Length);
        _buffer.Write(bytes);
        return this;
    }

    public TokenWriter String(string text) => Bytes(Encoding.UTF8.GetBytes(text));

    public TokenWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
